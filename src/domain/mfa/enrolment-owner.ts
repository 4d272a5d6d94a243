/**
 * The one sign-in context a pending TOTP enrolment was shown to: the login session of the settings
 * page, or the pending second step (MFA challenge) of a sign-in the account policy sends to
 * enrolment. Only that context sees the pending key and may confirm it; another context opening
 * enrolment gets a new key that replaces it. Otherwise anyone signed in as the user (or holding
 * the password, at an enforced enrolment) could read the key the user is about to switch on.
 *
 * Stored as the context's record id (never its cookie value), with the kind as a prefix so a
 * session id can never stand for a challenge id.
 */
export interface EnrolmentOwner {
  kind: 'session' | 'challenge';
  id: string;
}

export const enrolmentOwnerKey = (owner: EnrolmentOwner): string => `${owner.kind}:${owner.id}`;
