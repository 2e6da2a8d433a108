/**
 * Native errors are thrown from a libuv worker or deep inside the addon, with no useful JS stack. These
 * wrappers capture the caller's stack before the call and graft it onto the native error, which keeps its
 * message and its `code` / `file` / `line` fields.
 */
export interface NativeErrorFields {
  /** LIGHTNET_MODEL_ERROR | LIGHTNET_MEDIA_ERROR | LIGHTNET_INVALID_ARGUMENT | LIGHTNET_ERROR */
  code?: string;
  /** the file the error names, when known */
  file?: string;
  line?: number;
}

export async function callNative<T>(run: () => Promise<T>): Promise<T> {
  const captured = new Error();
  try {
    return await run();
  } catch (err) {
    throw withStack(err, captured);
  }
}

export function callNativeSync<T>(run: () => T): T {
  const captured = new Error();
  try {
    return run();
  } catch (err) {
    throw withStack(err, captured);
  }
}

function withStack(err: unknown, captured: Error): unknown {
  if (!(err instanceof Error)) return err;
  const callerFrames = (captured.stack ?? "").split("\n").slice(2).join("\n");
  err.stack = `${err.name}: ${err.message}\n${callerFrames}`;
  return err;
}
