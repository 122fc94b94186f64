/** Shapes shared by the WADO-RS transactions (PS3.18 §10.4) and their thin routes. */

export interface WadoScope {
  studyUid: string;
  seriesUid?: string;
  sopUid?: string;
}

export interface WadoResult {
  status?: number;
  contentType: string;
  body: AsyncIterable<Buffer> | Buffer;
  headers?: Record<string, string>;
}
