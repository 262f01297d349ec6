// The part of addons-linter's library API (Mozilla's AMO validator) that lint.ts uses; the package has no types.
declare module 'addons-linter' {
  export interface LinterMessage {
    code: string;
    message: string;
    description: string | string[];
    file?: string;
    line?: number;
    column?: number;
    type: 'error' | 'warning' | 'notice';
  }
  export interface LinterResults {
    count: number;
    summary: { errors: number; warnings: number; notices: number };
    errors: LinterMessage[];
    warnings: LinterMessage[];
    notices: LinterMessage[];
  }
  export interface LinterConfig {
    _: string[];
    logLevel: string;
    stack: boolean;
    pretty: boolean;
    warningsAsErrors: boolean;
    metadata: boolean;
    output: 'none' | 'json' | 'text';
    boring: boolean;
    selfHosted: boolean;
    minManifestVersion?: number;
    maxManifestVersion?: number;
    enableDataCollectionPermissions?: boolean;
  }
  export function createInstance(options: { config: LinterConfig; runAsBinary: boolean }): { run(): Promise<LinterResults> };
}
