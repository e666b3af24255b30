#!/usr/bin/env node
import 'reflect-metadata';
import { serveSandbox } from './serve.js';

/** The local sandbox on 127.0.0.1 (SPEC section 9), configured by the environment. */
process.exit(await serveSandbox());
