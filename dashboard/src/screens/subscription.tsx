// Subscription: the plan, this month's use against the quota, extra orders,
// auto-buy, and upgrades.

import { useState } from "preact/hooks";
import { Button, Dialog, Field, Loading, Page, Problem, Switch } from "../components/ui.tsx";
import * as fmt from "../format.ts";
import { useAction, useResource } from "../hooks.ts";
import { href } from "../router.ts";
import { api, canWrite } from "../session.ts";
import type { Subscription } from "../types.ts";

function resumedNote(s: Subscription): string {
  return s.resumed > 0 ? ` ${fmt.count(s.resumed)} waiting orders are on their way again.` : "";
}

export function SubscriptionScreen() {
  const sub = useResource(() => api.get<Subscription>("/subscription"), [], 10000);
  const { busy, run } = useAction();
  const [packs, setPacks] = useState("1");
  const [upgradeTo, setUpgradeTo] = useState<string | null>(null);
  const s = sub.data;
  const writable = canWrite();
  if (!s) {
    return (
      <Page title="Subscription">
        {sub.error ? <Problem message={sub.error} retry={sub.reload} /> : <Loading what="your subscription" />}
      </Page>
    );
  }
  const used = fmt.percent(s.used, s.allowance);
  const tone = used >= 100 ? "bad" : used >= 80 ? "warn" : "good";
  const larger = s.plans.filter((p) => p.monthly_orders > s.plan.monthly_orders);
  const target = s.plans.find((p) => p.id === upgradeTo);
  const setAutoBuy = (on: boolean) =>
    run("auto", () => api.patch<Subscription>("/subscription", { auto_buy: on }), (after) => {
      sub.set(after);
      return (on ? "Auto-buy is on: at the quota Ferry buys a pack and keeps going." : "Auto-buy is off: at the quota orders wait until you act.") + resumedNote(after);
    });
  const buy = (e: Event) => {
    e.preventDefault();
    run("buy", () => api.post<Subscription>("/subscription/purchases", { packs: Number(packs) }), (after) => {
      sub.set(after);
      return `Bought ${fmt.count(Number(packs) * s.plan.pack_orders)} extra orders for ${after.period}.${resumedNote(after)}`;
    });
  };
  const upgrade = () =>
    run("upgrade", () => api.post<Subscription>("/subscription/upgrade", { plan: upgradeTo }), (after) => {
      sub.set(after);
      setUpgradeTo(null);
      return `You are on ${after.plan.name} now: ${fmt.count(after.monthly_orders)} orders a month.${resumedNote(after)}`;
    });
  return (
    <Page title="Subscription" intro={`Your plan and this month's use (${s.period}). Every delivered order counts once.`}>
      {sub.error && <Problem compact message={sub.error} retry={sub.reload} />}
      <div class="card">
        <div class="card-head">
          <h2>
            {s.plan.name} <span class="muted">· {fmt.money(s.plan.price)} a month</span>
          </h2>
        </div>
        <div class={`quota ${tone}`}>
          <div class="quota-numbers">
            <strong data-testid="quota-used">{fmt.count(s.used)}</strong> of {fmt.count(s.allowance)} orders used
            <span class="muted">
              {" "}
              ({fmt.count(s.monthly_orders)} included{s.extra_orders ? ` + ${fmt.count(s.extra_orders)} extra` : ""}) · {fmt.count(s.remaining)} left
            </span>
          </div>
          <div
            class="bar"
            role="meter"
            aria-valuemin={0}
            aria-valuemax={s.allowance}
            aria-valuenow={s.used}
            aria-label="Orders used this month"
          >
            <span style={{ width: `${used}%` }} />
          </div>
          {used >= 100 && !s.auto_buy && (
            <p class="bad-text">
              The quota is reached: new orders wait as pending (see <a href={href("/transfers", { status: "pending" })}>Transfers</a>). Buy extra
              orders, upgrade, or switch on auto-buy and they go at once.
            </p>
          )}
        </div>
      </div>
      <div class="cards two">
        <div class="card">
          <h2>Extra orders</h2>
          <p>
            One pack is {fmt.count(s.plan.pack_orders)} orders for {fmt.money(s.plan.pack_price)}, counted towards this month.
          </p>
          <Switch on={s.auto_buy} label="Buy a pack automatically when the quota is reached" busy={busy === "auto"} disabled={!writable} onChange={setAutoBuy} />
          {writable && (
            <form class="inline-form" onSubmit={buy}>
              <Field label="Packs">
                <input type="number" min={1} max={100} value={packs} onInput={(e) => setPacks(e.currentTarget.value)} />
              </Field>
              <Button type="submit" busy={busy === "buy"}>
                Buy {fmt.count(Math.max(0, Number(packs) || 0) * s.plan.pack_orders)} orders
              </Button>
            </form>
          )}
        </div>
        <div class="card">
          <h2>Plans</h2>
          <ul class="plans">
            {s.plans.map((p) => (
              <li class={p.id === s.plan.id ? "current" : ""}>
                <span>
                  <strong>{p.name}</strong> · {fmt.count(p.monthly_orders)} orders a month · {fmt.money(p.price)}
                </span>
                {p.id === s.plan.id ? (
                  <span class="badge status-delivered">Your plan</span>
                ) : larger.includes(p) && writable ? (
                  <Button onClick={() => setUpgradeTo(p.id)}>Upgrade</Button>
                ) : null}
              </li>
            ))}
          </ul>
        </div>
      </div>
      <div class="card">
        <h2>Purchases</h2>
        {s.purchases.length === 0 ? (
          <p class="muted">No extra orders bought yet.</p>
        ) : (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Month</th>
                  <th scope="col">Orders</th>
                  <th scope="col">Price</th>
                  <th scope="col">How</th>
                </tr>
              </thead>
              <tbody>
                {s.purchases.map((p) => (
                  <tr>
                    <td data-label="When">{fmt.dateTime(p.at)}</td>
                    <td data-label="Month">{p.period}</td>
                    <td data-label="Orders">{fmt.count(p.orders)}</td>
                    <td data-label="Price">{fmt.money(p.price, p.currency)}</td>
                    <td data-label="How">{p.automatic ? "auto-buy" : "by hand"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
      <Dialog title={`Upgrade to ${target?.name ?? ""}?`} open={target !== undefined} onClose={() => setUpgradeTo(null)}>
        {target && (
          <>
            <p>
              {fmt.count(target.monthly_orders)} orders a month for {fmt.money(target.price)} a month, from now on. Orders waiting at the quota go at
              once.
            </p>
            <div class="form-actions">
              <Button onClick={() => setUpgradeTo(null)}>Not now</Button>
              <Button kind="primary" busy={busy === "upgrade"} onClick={upgrade}>
                Upgrade to {target.name}
              </Button>
            </div>
          </>
        )}
      </Dialog>
    </Page>
  );
}
