/**
 * Awaits the promise `current()` returns until it stops changing while awaited: the work it tracks is
 * done, and so is any work started meanwhile (the build supervisor's and the frame scheduler's whenIdle).
 */
export async function settled(current: () => Promise<void>): Promise<void> {
  let seen: Promise<void>;
  do {
    seen = current();
    await seen;
  } while (seen !== current());
}
