/** The part of cli-progress 3 that `ndpack` uses (the package ships no types). */
declare module "cli-progress" {
  /** Bar options; see cli-progress's README. */
  interface Options {
    stream?: NodeJS.WriteStream;
    format?: string;
    hideCursor?: boolean;
    clearOnComplete?: boolean;
  }
  /** A bar's characters. */
  interface Preset {
    barCompleteChar: string;
    barIncompleteChar: string;
  }
  /** One progress bar on one line. */
  class SingleBar {
    constructor(options: Options, preset?: Preset);
    start(total: number, start: number, payload?: object): void;
    update(current: number, payload?: object): void;
    stop(): void;
  }
  const Presets: { shades_classic: Preset };
  const cliProgress: { SingleBar: typeof SingleBar; Presets: typeof Presets };
  export default cliProgress;
  export { SingleBar, Presets, type Options, type Preset };
}
