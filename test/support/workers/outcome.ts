/** How a worker or child reports the settled result of its store call back to the test. */

export type Outcome<T> = { status: 'fulfilled'; value: T } | { status: 'rejected'; code: string | null; message: string };

/** Settles `promise` into a structured-cloneable outcome (errors keep their `code` and message). */
export async function settle<T>(promise: Promise<T>): Promise<Outcome<T>> {
  try {
    return { status: 'fulfilled', value: await promise };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return { status: 'rejected', code: typeof code === 'string' ? code : null, message: String(error) };
  }
}
