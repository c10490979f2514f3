/**
 * An ensemble in lockstep: K trainers of replicas of one network on the same data, stepped together
 * so that their mini-batch gradients are one batched computation (MlpLandscape.groupGradient).
 * This is what `torch.func.vmap` over a model ensemble does; on a CPU its gain is that the batch is
 * gathered once and the widest GEMMs (the first layer's) run K replicas wide.
 *
 * The members' parameters live in one group array for the whole run (layout.ts: tensor t of member
 * k at K·t.offset + k·t.size): the first layer of all members is the matrix [W₁; …; W_K] that the
 * fused GEMMs read and whose gradient they write in place, and an elementwise update rule (SGD,
 * momentum, Adam, with or without L2) steps the group as one vector — the same arithmetic as K
 * separate steps. Nothing is copied per step; each trainer's own θ and optimiser state are brought
 * up to date (sync) only when they are read: checkpoints and the written weights. A rule that is not
 * elementwise (Langevin: noise from each replica's stream) steps each member on its own copy.
 *
 * The fused pass needs the replicas to see the same mini-batch at the same step (a shared data
 * order: variant 'init', where replicas differ by their initialisation only). Schedules in one
 * state draw the same batches, so then only the first is drawn from (one shuffle per epoch, not K)
 * and the others take its state at sync. When their batches differ (independent orders), each
 * replica takes its own ordinary step — the same arithmetic as Trainer.advance, so results never
 * depend on whether a replica ran in lockstep.
 */
import type { Float } from '../core/backend.js';
import { packReplica, unpackReplica } from '../landscapes/mlp/layout.js';
import type { MlpLandscape } from '../landscapes/mlp/network.js';
import type { BatchState } from './batches.js';
import type { Optimizer } from './optimizers.js';
import type { Trainer } from './trainer.js';

export class Lockstep<X extends Float> {
  /** The members' parameters in the group layout (read by MlpLandscape.groupEvaluate; current at every step). */
  readonly theta: X;
  private readonly grad: X;
  /** The members' update rule over the whole group, or null when each member steps its own copy. */
  private readonly optimizer: Optimizer | null;
  private readonly losses: Float64Array;
  /** Each trainer's Σ loss and error count on its last mini-batch (its landscape's lastBatch), and the batch size. */
  readonly lastBatch: { lossSum: Float64Array; errors: Float64Array; size: number };
  private readonly batches: Int32Array[];
  /** Steps taken fused and unfused (for reports and tests). */
  readonly counts = { fused: 0, separate: 0 };
  /** Whether the schedules were in one state at load (then the first one draws for all). */
  private sharedOrder = false;

  /** Takes the trainers' current θ and optimiser state (initialised or restored) into the group. */
  constructor(readonly landscape: MlpLandscape<X>, readonly trainers: readonly Trainer<X>[]) {
    for (const t of trainers) {
      if (t.landscape !== landscape) throw new RangeError('lockstep trainers must step the one landscape given');
    }
    const K = trainers.length;
    this.theta = landscape.newGroup(K);
    this.grad = landscape.newGroup(K);
    this.optimizer = trainers[0]!.optimizer.widen(K * landscape.dim);
    this.losses = new Float64Array(K);
    this.lastBatch = { lossSum: new Float64Array(K), errors: new Float64Array(K), size: 0 };
    this.batches = trainers.map(() => new Int32Array(0));
    this.load();
  }

  /** One step of every trainer; returns the mini-batch losses (valid until the next call). */
  advance(): Float64Array {
    const K = this.trainers.length;
    const first = this.trainers[0]!.schedule.next();
    if (!this.sharedOrder) {
      this.batches[0] = first;
      let shared = true;
      for (let k = 1; k < K; k++) shared = sameBatch(first, this.batches[k] = this.trainers[k]!.schedule.next()) && shared;
      if (!shared) return this.separate();
    }
    this.landscape.groupGradient(this.theta, K, first, this.grad, this.losses, this.lastBatch);
    this.lastBatch.size = first.length;
    this.counts.fused++;
    for (let k = 0; k < K; k++) this.trainers[k]!.checkLoss(this.losses[k]!);
    if (this.optimizer) {
      this.optimizer.step(this.theta, this.grad);
      for (const t of this.trainers) t.step++;
    } else {
      const layout = this.landscape.layout;
      this.trainers.forEach((t, k) => {
        unpackReplica(layout, K, k, this.theta, t.theta);
        unpackReplica(layout, K, k, this.grad, t.gradient);
        t.apply(this.losses[k]!);
        packReplica(layout, K, k, t.theta, this.theta);
      });
    }
    return this.losses;
  }

  /** Brings every trainer's θ and optimiser state up to the group's (before reading or checkpointing them). */
  sync(): void {
    const K = this.trainers.length, layout = this.landscape.layout;
    this.trainers.forEach((t, k) => unpackReplica(layout, K, k, this.theta, t.theta));
    if (this.sharedOrder) {
      const s = this.trainers[0]!.schedule.state();
      for (let k = 1; k < K; k++) this.trainers[k]!.schedule.restore(s);
    }
    if (!this.optimizer) return;
    const s = this.optimizer.state();
    this.trainers.forEach((t, k) => {
      const arrays: Record<string, Float> = {};
      for (const [name, a] of Object.entries(s.arrays)) {
        const own = t.theta.slice() as Float;
        unpackReplica(layout, K, k, a, own);
        arrays[name] = own;
      }
      t.optimizer.restore({ step: s.step, arrays });
    });
  }

  /** Takes every trainer's θ and optimiser state into the group (after they were set or restored). */
  load(): void {
    const K = this.trainers.length, layout = this.landscape.layout;
    this.trainers.forEach((t, k) => packReplica(layout, K, k, t.theta, this.theta));
    const s0 = this.trainers[0]!.schedule.state();
    this.sharedOrder = this.trainers.every((t) => sameState(t.schedule.state(), s0));
    if (!this.optimizer) return;
    const states = this.trainers.map((t) => t.optimizer.state());
    const arrays: Record<string, Float> = {};
    for (const name of Object.keys(states[0]!.arrays)) {
      const group = this.landscape.newGroup(K) as Float;
      states.forEach((s, k) => packReplica(layout, K, k, s.arrays[name]!, group));
      arrays[name] = group;
    }
    this.optimizer.restore({ step: states[0]!.step, arrays });
  }

  /** Batches differ: each trainer's ordinary step on its own θ. */
  private separate(): Float64Array {
    this.sync();
    const K = this.trainers.length;
    for (let k = 0; k < K; k++) {
      const t = this.trainers[k]!;
      this.losses[k] = this.landscape.batchGradient(t.theta, this.batches[k]!, t.gradient);
      this.lastBatch.lossSum[k] = this.landscape.lastBatch.lossSum;
      this.lastBatch.errors[k] = this.landscape.lastBatch.errors;
      t.apply(this.losses[k]!);
    }
    this.lastBatch.size = this.batches[0]!.length;
    this.load();
    this.counts.separate++;
    return this.losses;
  }
}

function sameState(a: BatchState, b: BatchState): boolean {
  return a.position === b.position && a.rng.spare === b.rng.spare && a.rng.s.every((w, i) => w === b.rng.s[i]) && sameBatch(a.order, b.order);
}

function sameBatch(a: Int32Array, b: Int32Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
