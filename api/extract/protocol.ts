// Messages between the API's text-extraction worker (host.ts) and its client (client.ts).
import type { InputFormat } from '../../readers/formats.ts';

export type ExtractFormat = Exclude<InputFormat, 'jsonl'>;

export interface ExtractRequest {
  id: number;
  /** The file's bytes (transferred, not copied). */
  bytes: Uint8Array;
  format: ExtractFormat;
  maxChars: number;
}

/** Why a file could not be read: the reader's error, as data (classes do not cross threads). */
export interface ExtractFailure {
  /** `docx` (DocxError: see its kind and limit), `utf8` (InvalidUtf8Error), `nesting` (NestingError: HTML too deep), `other` (a bug). */
  source: 'docx' | 'utf8' | 'nesting' | 'other';
  kind?: 'invalid' | 'too_large';
  limit?: string;
  message: string;
}

export type ExtractReply = { id: number; ok: true; text: string } | { id: number; ok: false; error: ExtractFailure };
