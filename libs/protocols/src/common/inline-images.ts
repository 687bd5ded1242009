import type { IrContentPart, IrToolResultContent } from '../ir/content';
import type { IrRequest } from '../ir/request';

/** Downloads one URL; the gateway supplies it (codecs do no I/O). */
export type ImageFetcher = (url: string) => Promise<{ mediaType: string; data: string }>;

/**
 * Replaces http(s) image and document URLs of a request with inline base64, for targets that cannot fetch them
 * (Gemini only reads its own file URIs). Each distinct URL is fetched once; a failed fetch leaves the URL as it was,
 * so the upstream decides. Returns a new IR; the input is not modified.
 */
export const inlineRemoteMedia = async (ir: IrRequest, fetchImage: ImageFetcher): Promise<IrRequest> => {
  const urls = new Set<string>();
  const visit = (p: IrContentPart | IrToolResultContent): void => {
    if (
      (p.type === 'image' || p.type === 'document') &&
      p.source.kind === 'url' &&
      /^https?:\/\//i.test(p.source.url)
    ) {
      urls.add(p.source.url);
    }
    if (p.type === 'tool_result' && typeof p.content !== 'string') p.content.forEach(visit);
  };
  ir.messages.forEach((m) => m.content.forEach(visit));
  if (urls.size === 0) return ir;
  const fetched = new Map<string, { mediaType: string; data: string }>();
  await Promise.all(
    [...urls].map(async (url) => {
      try {
        fetched.set(url, await fetchImage(url));
      } catch {
        // leave it as a URL
      }
    }),
  );
  const swap = <T extends IrContentPart | IrToolResultContent>(p: T): T => {
    if ((p.type === 'image' || p.type === 'document') && p.source.kind === 'url') {
      const got = fetched.get(p.source.url);
      if (got) return { ...p, source: { kind: 'base64', mediaType: got.mediaType, data: got.data } };
    }
    if (p.type === 'tool_result' && typeof p.content !== 'string')
      return { ...p, content: p.content.map(swap) };
    return p;
  };
  return { ...ir, messages: ir.messages.map((m) => ({ ...m, content: m.content.map(swap) })) };
};
