/** Product facts both sides show (about box, `--version`, User-Agent headers). */
export const productName = 'Tray Agent';
export const productVersion = '0.1.0';
