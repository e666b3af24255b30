import {
  conciergeError,
  DEFAULT_PAGE_SIZE,
  type DecodeError,
  type OutputView,
  type Page,
  type PageQuery,
  type RequestWithOutputs,
} from '@concierge-ts/application';
import { err, ok, type Result } from 'neverthrow';
import { z } from 'zod';
import { conciergeDocumentResource } from './concierge-document.codec.js';
import { estimateResource } from './estimate.codec.js';
import { eventResource } from './event.codec.js';
import { decodeWith, hrefOf, pageLinks, pageMeta, RESOURCE_TYPES } from './json-api.js';
import { encodeOutput, outputResource } from './output.codec.js';
import { portResource } from './port.codec.js';
import { encodeRequest, requestResource } from './request.codec.js';
import { userResource } from './user.codec.js';
import { withdrawalInstructionResource } from './withdrawal-instruction.codec.js';

/** Top-level documents: one resource in `data`, or a page of them with pagination `links`. */
export const single = <S extends z.ZodType>(resource: S) => z.object({ data: resource });
export const list = <S extends z.ZodType>(resource: S) =>
  z.object({ data: z.array(resource), links: pageLinks.optional(), meta: pageMeta.optional() });

/** Every document of SPEC section 7, as zod codecs: `.decode(json)` gives views, `.encode(views)` the wire. */
export const documents = {
  port: single(portResource),
  ports: list(portResource),
  request: single(requestResource),
  requests: list(requestResource),
  output: single(outputResource),
  outputs: list(outputResource),
  estimate: single(estimateResource),
  user: single(userResource),
  users: list(userResource),
  withdrawalInstruction: single(withdrawalInstructionResource),
  withdrawalInstructions: list(withdrawalInstructionResource),
  event: single(eventResource),
  events: list(eventResource),
  conciergeDocument: single(conciergeDocumentResource),
} as const;

type ListWire<T> = {
  readonly data: readonly T[];
  readonly links?: z.output<typeof pageLinks> | undefined;
  readonly meta?: z.output<typeof pageMeta> | undefined;
};

const nextNumberOf = (next: string, current: number): number => {
  const value = new URL(next, 'http://concierge.invalid').searchParams.get('page[number]');
  const n = value === null ? Number.NaN : Number(value);
  return Number.isSafeInteger(n) && n >= 1 ? n : current + 1;
};

/** A decoded list as a `Page`: the page's own numbers win over what was asked. */
export const pageFromDocument = <T>(doc: ListWire<T>, query: PageQuery = {}): Page<T> => {
  const number = doc.meta?.page?.number ?? query.number ?? 1;
  const size = doc.meta?.page?.size ?? query.size ?? DEFAULT_PAGE_SIZE;
  const link = hrefOf(doc.links?.next);
  const next =
    typeof link === 'string'
      ? nextNumberOf(link, number)
      : link === null
        ? null
        : (doc.meta?.page?.next ?? null);
  return { items: doc.data, number, size, next };
};

/**
 * `url` with `page[number]` and `page[size]` set: the `links` of a page. The query is
 * written out form-encoded, so brackets travel percent-encoded (`page%5Bnumber%5D=2`)
 * and an absolute `url` gives a link that is a valid URI.
 */
export const withPage = (url: string, number: number, size: number): string => {
  const absolute = /^[a-z][a-z0-9+.-]*:/i.test(url);
  const parsed = new URL(url, 'http://concierge.invalid');
  parsed.searchParams.set('page[number]', String(number));
  parsed.searchParams.set('page[size]', String(size));
  return absolute ? parsed.toString() : `${parsed.pathname}${parsed.search}`;
};

/**
 * The pagination links of a page of the list at `url` (the request's own URL, absolute
 * on a server). `last` is the number of the last page; without it, a page that is not
 * the last one has no `last` link (the `Page` does not say how many there are).
 */
export const pageLinksOf = (page: Page<unknown>, url: string, last?: number) => {
  const at = (number: number) => withPage(url, number, page.size);
  const lastNumber = last ?? (page.next === null ? page.number : undefined);
  return {
    self: at(page.number),
    first: at(1),
    // Past the end, the previous page is the last one that has data.
    prev: page.number > 1 ? at(Math.min(page.number - 1, lastNumber ?? page.number - 1)) : null,
    next: page.next === null ? null : at(page.next),
    ...(lastNumber === undefined ? {} : { last: at(lastNumber) }),
  };
};

/** A page as a list document; `url` is the list's own address (links.self), `last` its last page. */
export const encodePage = <T, W>(page: Page<T>, encode: (item: T) => W, url: string, last?: number) => ({
  data: page.items.map(encode),
  links: pageLinksOf(page, url, last),
  meta: { page: { number: page.number, size: page.size, next: page.next } },
});

/**
 * A request with its outputs' resource linkage (the outputs themselves are left out).
 * `base`: the URL of the call it answers, which its document links are made absolute against.
 */
export const encodeLinkedRequest = (r: RequestWithOutputs, base?: string) => {
  const { outputs, ...request } = r;
  return encodeRequest(
    request,
    outputs.map((o) => o.id),
    base,
  );
};

/**
 * `GET /api/concierge_requests/:id`: the request with its outputs' linkage; with
 * `include=outputs` (`include` true, the default) the outputs travel in `included`.
 */
export const encodeRequestWithOutputs = (r: RequestWithOutputs, include = true, base?: string) => ({
  data: encodeLinkedRequest(r, base),
  ...(include ? { included: r.outputs.map(encodeOutput) } : {}),
});

/** `GET /api/concierge_requests`: a page of requests with linkage, and their outputs in `included` if asked. */
export const encodeRequestPage = (
  page: Page<RequestWithOutputs>,
  url: string,
  options: { readonly last?: number; readonly include?: boolean } = {},
) => ({
  ...encodePage(page, (r) => encodeLinkedRequest(r, url), url, options.last),
  ...(options.include === true ? { included: page.items.flatMap((r) => r.outputs.map(encodeOutput)) } : {}),
});

const withIncluded = z.object({ data: z.unknown(), included: z.array(z.unknown()).optional() });

/**
 * Decodes a request with its included outputs. An included output without
 * `origin_port_code` (the provider's own documents) takes the request's port.
 */
export const decodeRequestWithOutputs = (json: unknown): Result<RequestWithOutputs, DecodeError> =>
  decodeWith(documents.request, json).andThen(({ data: request }) => {
    const included = withIncluded.safeParse(json);
    const items = included.success ? (included.data.included ?? []) : [];
    const outputs: OutputView[] = [];
    for (const [index, item] of items.entries()) {
      if (
        typeof item !== 'object' ||
        item === null ||
        (item as { type?: unknown }).type !== RESOURCE_TYPES.output
      )
        continue;
      const attributes = (item as { attributes?: unknown }).attributes;
      const withOrigin =
        typeof attributes === 'object' &&
        attributes !== null &&
        (attributes as { origin_port_code?: unknown }).origin_port_code === undefined
          ? { ...item, attributes: { ...attributes, origin_port_code: request.portCode } }
          : item;
      const output = decodeWith(outputResource, withOrigin);
      if (output.isErr())
        return err(
          conciergeError.decode(output.error.detail, `/included/${index}${output.error.pointer ?? ''}`),
        );
      if (output.value.requestId === request.id) outputs.push(output.value);
    }
    return ok({ ...request, outputs });
  });
