import { AuditTrail } from '../audit/audit-trail.js';
import type { Section } from '../section.js';

/** The roles whose `audit:read` lets them read the trail (src/domain/access/decide.ts). */
const READERS = new Set(['owner', 'admin', 'auditor']);

/** The account's audit trail: for the roles the API lets read it. */
export const audit: Section = {
  order: 60,
  label: 'Audit',
  path: '/audit',
  visible: (session) => READERS.has(session.user.role ?? ''),
  routes: [{ pattern: '/audit', view: () => <AuditTrail /> }],
};
