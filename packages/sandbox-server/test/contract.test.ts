import { describeConciergeClient } from '@concierge-ts/adapter-memory/testing';
import { httpHarness } from './harness.js';

// The same suite as the in-memory client, unchanged, over HTTP: in-process and on loopback.
describeConciergeClient(
  'HTTP client → sandbox app (in-process fetch)',
  async () => (await httpHarness('in-process')).harness,
);
describeConciergeClient(
  'HTTP client → sandbox server (loopback)',
  async () => (await httpHarness('loopback')).harness,
);
