/** Bounds on human-chosen passwords (kept apart from the hashing code so the CLI loads fast). */
export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 1024;
