/** Where the CLI writes and what it knows of its environment; `index.ts` builds it from `process`. */
export interface CliIo {
  readonly stdout: CliStream;
  readonly stderr: CliStream;
  readonly stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Changes the process's working directory (to the config file's folder). */
  readonly chdir: (dir: string) => void;
}

export interface CliStream {
  write(text: string): void;
  readonly isTTY: boolean;
  readonly columns: number | undefined;
}
