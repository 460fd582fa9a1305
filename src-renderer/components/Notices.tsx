import { X } from 'lucide-react';
import { useAgentStore } from '../stores/agent-store.js';

/** Results of actions: errors stay until dismissed, confirmations fade. Announced politely. */
export function Notices() {
  const notices = useAgentStore((s) => s.notices);
  const dismiss = useAgentStore((s) => s.dismissNotice);
  return (
    <div className="notices" role="status" aria-live="polite">
      {notices.map((notice) => (
        <div key={notice.id} className={`notice notice-${notice.kind}`}>
          <span>{notice.kind === 'error' ? `Failed: ${notice.text}` : notice.text}</span>
          <button type="button" className="icon-button" onClick={() => dismiss(notice.id)} aria-label="Dismiss">
            <X size={14} aria-hidden="true" />
          </button>
        </div>
      ))}
    </div>
  );
}
