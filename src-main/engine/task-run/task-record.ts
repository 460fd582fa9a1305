/**
 * The parts of a ClearML task record that the run pipeline reads (reference §3.1). Kept as a
 * narrow structural type so the pipeline works with whatever the API client returns.
 */
export interface HyperParamItem {
  readonly section?: string;
  readonly name?: string;
  readonly value?: string;
  readonly type?: string;
  readonly description?: string;
}

export interface TaskScript {
  readonly binary?: string | null;
  readonly repository?: string | null;
  readonly branch?: string | null;
  readonly tag?: string | null;
  readonly version_num?: string | null;
  readonly entry_point?: string | null;
  readonly working_dir?: string | null;
  readonly diff?: string | null;
  readonly requirements?: { pip?: string | string[] | null; org_pip?: string | string[] | null; [key: string]: unknown } | null;
}

export interface TaskRecord {
  readonly id: string;
  readonly name?: string;
  readonly status?: string;
  readonly status_message?: string;
  readonly system_tags?: readonly string[];
  readonly script?: TaskScript | null;
  readonly hyperparams?: Record<string, Record<string, HyperParamItem>> | null;
  readonly container?: Record<string, string> | null;
  readonly execution?: { queue?: string | null; [key: string]: unknown } | null;
}
