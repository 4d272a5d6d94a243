import { z } from 'zod';
import { USER_ROLES } from '../../../domain/access/roles.js';
import { errorBody, id, time } from './common.js';

/** The console's session (http/admin/console-session.ts `sessionView`). */
export const consoleSession = z
  .strictObject({
    user: z.strictObject({ id, email: z.string(), name: z.string().nullable(), role: z.enum(USER_ROLES) }),
    account: z.strictObject({ id, name: z.string() }),
    csrfToken: z
      .string()
      .meta({ description: 'Sent back in `x-csrf-token` on every POST, PUT, PATCH and DELETE.' }),
    expiresAt: time,
  })
  .meta({ id: 'ConsoleSession' });
/** `TotpEnrolment` (domain/mfa/mfa-service.ts): the key to add to an authenticator app. */
export const totpEnrolment = z
  .strictObject({ secret: z.string(), uri: z.string().meta({ description: 'An `otpauth://` URI.' }) })
  .meta({ id: 'TotpEnrolment' });
const recoveryCodes = z.array(z.string()).meta({ description: 'One-time recovery codes, shown once.' });
/** The answers of `POST /api/admin/session`: signed in, an account to pick, or a second step. */
export const consoleSignIn = z.union([
  consoleSession,
  z.strictObject({ accounts: z.array(z.strictObject({ id, name: z.string() })) }).meta({
    id: 'ConsoleAccountChoice',
    description: 'The password is right in several accounts: name one.',
  }),
  z
    .strictObject({ secondStep: z.literal('verify') })
    .meta({ id: 'ConsoleSecondStepVerify', description: 'Send a TOTP or recovery code to /second-step.' }),
  z
    .strictObject({ secondStep: z.literal('enrol'), enrolment: totpEnrolment })
    .meta({ id: 'ConsoleSecondStepEnrol', description: 'Add this key, then send its code to /second-step.' }),
]);
export const consoleSecondStep = consoleSession
  .extend({ recoveryCodes: recoveryCodes.optional() })
  .meta({ id: 'ConsoleSignedIn' });
/** The 409 of a second step whose key was replaced by an enrolment elsewhere. */
export const consoleStartAgain = errorBody
  .extend({ secondStep: z.literal('enrol'), enrolment: totpEnrolment })
  .meta({ id: 'ConsoleStartAgain' });
export const passwordChanged = z.strictObject({ changed: z.literal(true) });
export const mfaEnabled = z.strictObject({ recoveryCodes });
