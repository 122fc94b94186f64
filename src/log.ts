import pino, { type Logger } from 'pino';

/**
 * An error as it may appear in a log line: type, code, message and stack, never the extra
 * properties libraries attach (TypeORM's QueryFailedError carries the query parameters, which
 * hold patient attributes).
 */
export function safeError(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { type: typeof err, message: String(err).slice(0, 200) };
  const code = (err as { code?: unknown }).code;
  const isDb = err.name === 'QueryFailedError' || (err as { driverError?: unknown }).driverError !== undefined;
  return {
    type: err.name,
    code: typeof code === 'string' || typeof code === 'number' ? code : undefined,
    message: err.message.slice(0, 500),
    // Database stacks say nothing useful and their messages can echo values; keep only ours.
    stack: isDb ? undefined : err.stack,
  };
}

/**
 * Structured logs (pino, JSON lines on stdout). Callers log identifiers of our own (request ids,
 * job ids, counts), never patient attributes or DICOM UIDs; the serializer and `redact` are a
 * second line of defence.
 */
export function createLogger(level: string, name = 'dafne-node', fd: 1 | 2 = 1): Logger {
  return pino(
    {
    name,
    level,
    serializers: { err: safeError },
    redact: { paths: ['*.PatientName', '*.PatientID', '*.patientName', '*.patientId', 'req.headers.authorization', '*.authorization'], censor: '[redacted]' },
    },
    pino.destination(fd),
  );
}
