import { useEffect, useRef, type ReactNode } from 'react';

export interface ConfirmChoice {
  readonly label: string;
  readonly tone?: 'danger' | 'primary';
  readonly onChoose: () => void;
}

/**
 * Asks once before something that cannot be undone, naming what will happen. A native modal
 * dialog: focus moves in and stays, Escape cancels.
 */
export function ConfirmDialog({ title, children, choices, onCancel, cancelLabel = 'Cancel' }: { title: string; children: ReactNode; choices: readonly ConfirmChoice[]; onCancel: () => void; cancelLabel?: string }) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) {
      if (typeof element.showModal === 'function') element.showModal();
      else element.setAttribute('open', '');
    }
  }, []);
  return (
    <dialog
      ref={dialog}
      className="dialog"
      aria-labelledby="confirm-title"
      onCancel={(event) => {
        event.preventDefault();
        onCancel();
      }}
    >
      <h2 id="confirm-title">{title}</h2>
      <div className="dialog-body">{children}</div>
      <div className="dialog-actions">
        <button type="button" className="button" onClick={onCancel} autoFocus>
          {cancelLabel}
        </button>
        {choices.map((choice) => (
          <button key={choice.label} type="button" className={`button ${choice.tone === 'danger' ? 'danger' : 'primary'}`} onClick={choice.onChoose}>
            {choice.label}
          </button>
        ))}
      </div>
    </dialog>
  );
}
