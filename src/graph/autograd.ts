/**
 * Reverse-mode differentiation: walks the nodes behind a scalar loss in reverse topological order, applies each
 * op's gradient rule, frees what the node saved as soon as its rule has run, and accumulates leaf gradients into
 * `tensor.grad` (so two backward passes add up, as in PyTorch).
 */
import { runAccumulate, runAdd } from '../kernels/add.js';
import { gradientRules, type GradRule, type OpName } from './gradients.js';
import { keep } from './scope.js';
import { releaseNode, type Node } from './tape.js';
import { Tensor } from './tensor.js';

export function backward(loss: Tensor, seed?: Tensor): void {
  if (!loss.requiresGrad || !loss.creator) {
    throw new Error(`backward(): ${loss} does not require a gradient (no parameter took part, or it ran under noGrad)`);
  }
  if (!seed && loss.size !== 1) throw new Error(`backward(): ${loss} is not a scalar; pass the gradient to start from`);
  const order = topologicalOrder(loss.creator);
  const pending = new Map<Node, Tensor>();
  pending.set(loss.creator, seed ? seed.retain() : Tensor.full(loss.gpu, loss.shape, 1, 'backward:seed'));

  for (const node of order) {
    const dy = pending.get(node);
    if (!dy) continue;
    pending.delete(node);
    if (node.released) {
      throw new Error(`backward(): the graph through ${node.op} was already freed by an earlier backward (or by the end ` +
        'of the tidy() that recorded it, which the loss did not leave)');
    }
    const needs = node.inputs.map((t) => t?.requiresGrad === true);
    const rule = gradientRules[node.op] as GradRule<unknown>;
    const grads = rule(node.saved, dy, needs);
    dy.dispose();
    releaseNode(node);
    node.inputs.forEach((input, i) => {
      const grad = grads[i];
      if (!input || !needs[i]) {
        grad?.dispose();
        return;
      }
      if (!grad) throw new Error(`gradient rule of ${node.op} returned no gradient for input ${i}`);
      if (input.retainGrad && input.creator) accumulateLeaf(input, grad.retain());
      if (input.creator) accumulateInto(pending, input.creator, grad);
      else accumulateLeaf(input, grad);
    });
  }
}

function accumulateInto(pending: Map<Node, Tensor>, node: Node, grad: Tensor): void {
  const existing = pending.get(node);
  pending.set(node, existing ? sum(existing, grad) : grad);
}

function accumulateLeaf(leaf: Tensor, grad: Tensor): void {
  // A disposed tensor (an intermediate the forward freed) could never free a gradient given to it.
  if (leaf.isDisposed) {
    grad.dispose();
    return;
  }
  leaf.grad = keep(leaf.grad ? sum(leaf.grad, grad) : grad);
}

/** a + b, in place in a's buffer unless a shares it (rules may return views of one dy for several inputs). */
function sum(a: Tensor, b: Tensor): Tensor {
  let target = a;
  if (a.storage.isShared) {
    target = Tensor.empty(a.gpu, a.shape, 'backward:accumulate');
    runAdd(a.gpu, a.buffer, b.buffer, target.buffer, a.size);
    a.dispose();
  } else {
    runAccumulate(a.gpu, b.buffer, a.buffer, a.size);
  }
  b.dispose();
  return target;
}

/** Nodes from the loss back to the leaves, each after every node that consumes its output. */
function topologicalOrder(root: Node): Node[] {
  const visited = new Set<Node>();
  const postOrder: Node[] = [];
  const stack: { node: Node; next: number }[] = [{ node: root, next: 0 }];
  visited.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const inputs = top.node.inputs;
    if (top.next < inputs.length) {
      const child = inputs[top.next++]?.creator;
      if (child && !visited.has(child)) {
        visited.add(child);
        stack.push({ node: child, next: 0 });
      }
    } else {
      postOrder.push(top.node);
      stack.pop();
    }
  }
  return postOrder.reverse();
}

export type { OpName };
