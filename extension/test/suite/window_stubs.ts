/** The integration tests' stand-ins for the window's dialogs: the user's answers, and the messages shown. */

import * as vscode from "vscode";

/** Runs `act` with the window's functions named in `stubs` replaced by them; they are put back after, whatever. */
export async function withWindow<T>(stubs: Record<string, unknown>, act: () => Thenable<T>): Promise<T> {
  const w = vscode.window as unknown as Record<string, unknown>;
  const saved = Object.keys(stubs).map((k) => [k, w[k]] as const);
  Object.assign(w, stubs);
  try {
    return await act();
  } finally {
    for (const [k, v] of saved) w[k] = v;
  }
}

/** Runs `act`, keeping the error messages it shows (each dismissed at once); returns what it gave, and them. */
export async function errorsShown<T>(act: () => Thenable<T>): Promise<{ result: T; shown: string[] }> {
  const shown: string[] = [];
  const showErrorMessage = (message: string) => {
    shown.push(message);
    return Promise.resolve(undefined);
  };
  return { result: await withWindow({ showErrorMessage }, act), shown };
}
