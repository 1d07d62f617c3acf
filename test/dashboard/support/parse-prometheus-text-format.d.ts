// The package ships no types: what the metrics test reads of its result.
declare module 'parse-prometheus-text-format' {
  interface ParsedMetric {
    readonly name: string;
    readonly help: string;
    readonly type: string;
    readonly metrics: ReadonlyArray<{ readonly value: string; readonly labels?: Readonly<Record<string, string>> }>;
  }
  export default function parsePrometheusTextFormat(text: string): ParsedMetric[];
}
