/**
 * The two L2 conventions of Ersoy, Cardozo Licha & Wiesner (arXiv:2512.11866), as their released
 * code has them — their β axes differ by a factor 2:
 *  - 'penalty': an explicit term β‖θ − θ_ref‖² (no ½) added to the loss; their path finder
 *    between minima (`effective_loss = loss + L2_strength * Σ (p − p_ref)²`).
 *  - 'weight-decay': βθ added to the gradient before the optimiser sees it, as
 *    torch.optim.Adam(weight_decay=β) does (coupled L2: the decay goes through Adam's moments; not
 *    AdamW's decoupled decay); their main sweep, whose published β (transitions at 0.025 …) are on
 *    this axis. The gradient βθ is that of the penalty (β/2)‖θ‖², so the landscape carries β/2.
 * β is always reported on the axis the user chose; the run's config records which.
 */
import { z } from 'zod';

export const L2_FORMS = ['penalty', 'weight-decay'] as const;
export type L2Form = (typeof L2_FORMS)[number];
export const l2FormSchema = z.enum(L2_FORMS);

/** The coefficient c of c‖θ − θ_ref‖² in the landscape for a strength β given in `form`. */
export function penaltyCoefficient(beta: number, form: L2Form): number {
  return form === 'weight-decay' ? beta / 2 : beta;
}

/** One line for summaries and reports: what β means in this run. */
export function describeL2Form(form: L2Form): string {
  return form === 'weight-decay'
    ? 'weight-decay: βθ added to the gradient (torch.optim.Adam weight_decay=β, coupled), i.e. penalty (β/2)‖θ − θ_ref‖²'
    : 'penalty: β‖θ − θ_ref‖² added to the loss (no ½)';
}
