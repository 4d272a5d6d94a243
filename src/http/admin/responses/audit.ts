import { z } from 'zod';
import { AUDIT_ACTIONS, AUDIT_RESOURCE_TYPES, AUDIT_RESULTS } from '../../../storage/ports.js';
import { time } from './common.js';

/** `LabelledAuditEvent` (domain/audit/actor-labels.ts over storage/ports/audit.ts `AuditEvent`). */
export const auditEvent = z
  .strictObject({
    seq: z.number().int().min(1),
    occurredAt: time,
    accountId: z.string().nullable(),
    actorType: z.string(),
    actorId: z.string(),
    actorLabel: z.string(),
    actorKnown: z.boolean(),
    tokenId: z.string().nullable(),
    action: z.enum(AUDIT_ACTIONS),
    resourceType: z.enum(AUDIT_RESOURCE_TYPES),
    resourceId: z.string().nullable(),
    vaultId: z.string().nullable(),
    itemId: z.string().nullable(),
    itemVersion: z.number().int().nullable(),
    result: z.enum(AUDIT_RESULTS),
    requestId: z.string().nullable(),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    count: z.number().int().min(1),
  })
  .meta({ id: 'AuditEvent' });
