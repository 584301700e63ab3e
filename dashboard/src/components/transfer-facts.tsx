// A transfer's kind as a badge, and its money facts (currency and rate,
// rounding line, the payment that marked it paid) as a list of lines.

import * as fmt from "../format.ts";
import type { Fact } from "../transfer-facts.ts";

export function KindBadge(props: { transfer: { kind?: string | null; entity: string } }) {
  const kind = fmt.transferKind(props.transfer);
  return <span class={`badge kind kind-${kind}`}>{fmt.kindLabel(kind)}</span>;
}

export function MoneyFacts(props: { facts: Fact[] }) {
  if (props.facts.length === 0) return null;
  return (
    <dl class="facts money-facts" data-testid="money-facts">
      {props.facts.map((f) => (
        <div class="wide" data-fact={f.key}>
          <dt>{f.label}</dt>
          <dd>{f.text}</dd>
        </div>
      ))}
    </dl>
  );
}
