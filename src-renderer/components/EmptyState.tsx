import type { ReactNode } from 'react';

/** What is missing and what to do next. */
export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty-state">
      <p className="empty-title">{title}</p>
      {children ? <div className="empty-hint">{children}</div> : null}
    </div>
  );
}
