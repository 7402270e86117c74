import { clientError } from './errors.js';
import type { CallContext, Handler, LocalCall, LocalHandler, Result, Step } from './types.js';

/**
 * The ordered chain every client request passes between the inbound adapter and the upstream. The
 * chain is composed once, so a call costs one function hop per step and no closures of its own.
 */
export class Pipeline {
  private chain: Handler;
  private localChain: LocalHandler;
  private current: readonly Step[];
  private seq = 0;

  /** `answer` ends the local path: the router's answer from the catalog (lists, subscribe). */
  constructor(
    steps: readonly Step[],
    private readonly answer: LocalHandler = noLocalAnswer,
  ) {
    this.current = steps;
    this.chain = compose(steps);
    this.localChain = composeLocal(steps, answer);
  }

  get steps(): readonly Step[] {
    return this.current;
  }

  /** A new list (tracing turned on or off); calls under way finish on the chain they started on. */
  replaceSteps(steps: readonly Step[]): void {
    this.current = steps;
    this.localChain = composeLocal(steps, this.answer);
    this.chain = compose(steps);
  }

  /** Runs a list or (un)subscribe request through the steps that take part in the local path. */
  handleLocal(call: LocalCall): Promise<Result> {
    return this.localChain(call);
  }

  /** Runs one request through every step. Errors leave as client errors (a code, a message, data). */
  async handle(call: CallContext): Promise<Result> {
    call.callId ??= `c${++this.seq}`;
    try {
      return await this.chain(call);
    } catch (e) {
      throw clientError(e, call);
    }
  }
}

/** Folds steps into one handler, first step outermost (the SDK's applyMiddlewares order). */
export function compose(steps: readonly Step[]): Handler {
  let next: Handler = noStepAnswered;
  for (let i = steps.length - 1; i >= 0; i--) {
    const step = steps[i]!;
    const after = next;
    next = (call) => step.handle(call, after);
  }
  return next;
}

/** The local path: only the steps with a `local` part, first outermost, then the answer. */
export function composeLocal(steps: readonly Step[], answer: LocalHandler): LocalHandler {
  let next: LocalHandler = answer;
  for (let i = steps.length - 1; i >= 0; i--) {
    const step = steps[i]!;
    if (!step.local) continue;
    const after = next;
    next = (call) => step.local!(call, after);
  }
  return next;
}

function noLocalAnswer(call: LocalCall): Promise<Result> {
  return Promise.reject(new Error(`Nothing answers ${call.method} on this pipeline.`));
}

/** A local-path request from the fresh object the adapter filled. */
export function newLocalCall(fields: Omit<LocalCall, 'decisions'>): LocalCall {
  const call = fields as LocalCall;
  call.decisions = [];
  return call;
}

function noStepAnswered(call: CallContext): Promise<Result> {
  return Promise.reject(new Error(`No pipeline step answered ${call.method}; the last step must forward it.`));
}

/** A context for one request from the fresh object the adapter filled (completed in place, not copied). */
export function newCall(fields: Omit<CallContext, 'decisions' | 'reverseGuards'>): CallContext {
  const call = fields as CallContext;
  call.decisions = [];
  call.reverseGuards = [];
  return call;
}
