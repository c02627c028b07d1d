"""Credit risk: debtors whose behaviour is getting worse, with evidence, a score and advice, and a
provision estimate from the ledger's own roll rates (pure).

Signals, each with its points (the score is their sum, at most 100; high from 40, medium from 20):

* `paying_later` (15): the days late of the last paid invoices (up to 6, at least 3, in due order;
  days late = the day the invoice was settled - its due date) trend up by 5 days or more per invoice
  (least-squares slope) and the latest was paid late.
* `later_than_usual` (10): the oldest overdue open invoice is more than 30 days later than the
  latest the debtor ever paid (at least 2 paid invoices).
* `broken_promises` (10 per promise broken in the last 90 days, 5 per other in the last 180, at
  most 30): promises whose date fell in the last 180 days and were not kept.
* `over_limit` (15, 25 above 150 % of the limit): open in the debtor's currency > `credit_limit`.
* `worse_bucket` (10 per bucket, 5 less when it was current): the debtor's bucket (its oldest
  overdue open invoice's) is worse than 30 days before.
* `status` (bankrupt 40, deregistered 40, closed 20, hold 15): the latest status event.
* `legal` (10): a suit, arbitration or payment order filed and not concluded.
* `missed_installments` (10 each, at most 30): missed instalments of the current plan.
* `dispute` (10): open invoices under dispute.

Only debtors with something open are assessed; written-off debtors are left out (the loss is
already taken).

Provision (a stress test, not accounting advice): with the period's mean roll rates (see
`dunning.analytics`; default the last 12 full months), the loss rate of the last bucket is `c_loss`
(default 1: what reaches the last bucket is lost) and the loss rate of each earlier bucket is its
roll rate to the next bucket times the next bucket's loss rate, i.e. the product of the roll rates
from it to the last bucket times `c_loss`. A bucket that held no balance in any month of the period
has no roll rate; it is taken as 1 (conservative: with no history, assume it rolls). Provision =
open balance in the bucket as of `as_of` x its loss rate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import timedelta
from decimal import Decimal
from typing import Any
from typing import Literal

from dunning.aging import CURRENT
from dunning.aging import buckets_of
from dunning.analytics import CellKey
from dunning.analytics import Figures
from dunning.analytics import History
from dunning.analytics import Period
from dunning.analytics import Portfolio
from dunning.analytics import add_debtor
from dunning.analytics import as_float
from dunning.analytics import bucket_index
from dunning.analytics import default_period
from dunning.balances import ZERO
from dunning.balances import DebtorState
from dunning.balances import debtor_state
from dunning.balances import plan_states
from dunning.balances import promise_states
from dunning.model import CENT
from dunning.model import CONTACT_TYPES
from dunning.model import Acknowledgment
from dunning.model import Debtor
from dunning.model import GuarantorDemand
from dunning.model import Legal
from dunning.model import Plan
from dunning.model import Settings
from dunning.model import Status
from dunning.model import event_day
from dunning.render import money_display

Lang = Literal["zh", "en"]
Level = Literal["high", "medium", "low"]

STATUS_POINTS = {"bankrupt": 40, "deregistered": 40, "closed": 20, "hold": 15}
TREND_INVOICES = 6
TREND_MIN_INVOICES = 3
TREND_SLOPE_DAYS = 5.0
USUAL_MARGIN_DAYS = 30
LOOKBACK_DAYS = 30
_READ_EVENTS = frozenset({"status", "legal", "guarantor_demand", "acknowledgment", "plan"})


@dataclass(frozen=True)
class Signal:
    code: str
    points: int
    evidence: str


@dataclass(frozen=True)
class Advice:
    code: str
    text: str


@dataclass
class DebtorRisk:
    id: str
    name: str
    collector: str | None
    currency: str  # the debtor's own currency (credit limit)
    open: dict[str, Decimal]  # per currency
    bucket: str
    days_overdue: int | None  # of the oldest overdue open invoice
    signals: list[Signal]
    advice: list[Advice]

    @property
    def score(self) -> int:
        return min(100, sum(s.points for s in self.signals))

    @property
    def level(self) -> Level:
        score = self.score
        return "high" if score >= 40 else "medium" if score >= 20 else "low"

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "collector": self.collector, "currency": self.currency,
                "open": self.open, "bucket": self.bucket, "days_overdue": self.days_overdue,
                "score": self.score, "level": self.level,
                "signals": [{"code": s.code, "points": s.points, "evidence": s.evidence} for s in self.signals],
                "advice": [{"code": a.code, "text": a.text} for a in self.advice]}


@dataclass(frozen=True)
class ProvisionLine:
    bucket: str
    balance: Decimal
    roll_rate: Decimal | None  # to the next bucket; None for the last bucket or without history
    loss_rate: Decimal
    provision: Decimal


@dataclass
class ProvisionBlock:
    currency: str
    lines: list[ProvisionLine]

    @property
    def balance(self) -> Decimal:
        return sum((line.balance for line in self.lines), ZERO)

    @property
    def provision(self) -> Decimal:
        return sum((line.provision for line in self.lines), ZERO)


@dataclass
class RiskReport:
    as_of: date
    period: Period  # where the roll rates come from
    c_loss: Decimal
    debtors: list[DebtorRisk]  # highest score first
    provision: list[ProvisionBlock] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of,
            "debtors": [d.as_json() for d in self.debtors],
            "provision": {
                "from": self.period.start, "to": self.period.end, "c_loss": float(self.c_loss),
                "currencies": [
                    {"currency": block.currency, "balance": block.balance, "provision": block.provision,
                     "buckets": [{"bucket": line.bucket, "balance": line.balance,
                                  "roll_rate": as_float(line.roll_rate, 4),
                                  "loss_rate": as_float(line.loss_rate, 4), "provision": line.provision}
                                 for line in block.lines]}
                    for block in self.provision],
            },
        }


# ---------------------------------------------------------------------------------------------
# words


def _t(lang: Lang, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def _bucket_word(name: str, lang: Lang) -> str:
    return _t(lang, "未到期", "current") if name == CURRENT else name


def _brief(text: str | None, limit: int = 60) -> str:
    """A summary cut to a line: the whole note is in the debtor's file."""
    if not text:
        return ""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _days_list(values: list[int]) -> str:
    return ", ".join(str(v) for v in values)


def slope(values: list[int]) -> float:
    """Least-squares slope of `values` against 0, 1, 2, ... (days per invoice)."""
    n = len(values)
    if n < 2:
        return 0.0
    mean_x = (n - 1) / 2
    mean_y = sum(values) / n
    covariance = sum((x - mean_x) * (y - mean_y) for x, y in enumerate(values))
    variance = sum((x - mean_x) ** 2 for x in range(n))
    return covariance / variance


# ---------------------------------------------------------------------------------------------
# one debtor


def _days_late_of_paid(state: DebtorState, history: History) -> list[tuple[str, int]]:
    """(invoice, days late) of the invoices settled by payment, in due order."""
    found = []
    for invoice in state.invoices:
        if invoice.open or not invoice.paid:
            continue
        allocations = history.allocations.get(invoice.id)
        if not allocations:
            continue
        settled = allocations[-1].day
        found.append((invoice.id, (settled - history.due_on(invoice, settled)).days))
    return found


def assess(debtor_id: str, debtor: Debtor, settings: Settings, as_of: date, *,
           state: DebtorState | None = None, history: History | None = None,
           lang: Lang = "zh") -> DebtorRisk | None:
    """The debtor's risk signals and advice as of `as_of`; None when nothing is open or it is written off."""
    if state is None:
        state = debtor_state(debtor, settings, as_of)
    open_amounts = state.open_by_currency()
    if not open_amounts or state.status == "written_off":
        return None
    buckets = buckets_of(settings)
    bounds = buckets.bounds
    zone = settings.zone
    if history is None:
        history = History(debtor, state)
    money = state.currency
    signals: list[Signal] = []

    # Buckets now and 30 days ago.
    oldest_days: int | None = None
    oldest_id = ""
    bucket_now = 0
    for invoice in state.invoices:
        if invoice.open:
            days = (as_of - invoice.due).days
            if oldest_days is None or days > oldest_days:
                oldest_days, oldest_id = days, invoice.id
            bucket_now = max(bucket_now, bucket_index(days, bounds))
    before = as_of - timedelta(days=LOOKBACK_DAYS)
    bucket_before = 0
    for invoice in state.invoices:
        if history.open_on(invoice, before):
            bucket_before = max(bucket_before, bucket_index((before - history.due_on(invoice, before)).days,
                                                            bounds))
    names = buckets.names
    if bucket_now > bucket_before:
        # Falling overdue at all (current to the first bucket) is the everyday case: half weight.
        points = 10 * (bucket_now - bucket_before) - (5 if bucket_before == 0 else 0)
        was, now = _bucket_word(names[bucket_before], lang), _bucket_word(names[bucket_now], lang)
        signals.append(Signal("worse_bucket", points, _t(
            lang, f"账龄由{was}升至{now}（{before}→{as_of}）",
            f"moved from bucket {was} to {now} ({before} to {as_of})")))

    # Days late trending up, or an open invoice later than the debtor has ever paid.
    paid = _days_late_of_paid(state, history)
    recent = [days for _, days in paid[-TREND_INVOICES:]]
    if len(recent) >= TREND_MIN_INVOICES:
        trend = slope(recent)
        if trend >= TREND_SLOPE_DAYS and recent[-1] > 0:
            signals.append(Signal("paying_later", 15, _t(
                lang, f"最近{len(recent)}张已付发票的逾期天数：{_days_list(recent)}（每张约+{trend:.0f}天）",
                f"days late on the last {len(recent)} paid invoices: {_days_list(recent)} "
                f"(about +{trend:.0f} days per invoice)")))
    if len(paid) >= 2 and oldest_days is not None:
        usual = max(days for _, days in paid)
        if oldest_days > max(usual, 0) + USUAL_MARGIN_DAYS:
            signals.append(Signal("later_than_usual", 10, _t(
                lang, f"{oldest_id}已逾期{oldest_days}天，以往已付发票最多逾期{usual}天",
                f"{oldest_id} is {oldest_days} days overdue; paid invoices were at most {usual} days late")))

    # Status, legal, guarantor demands, acknowledgments; whether there are promises and plans.
    latest_status: Status | None = None
    legal: Legal | None = None
    demanded: set[str] = set()
    acknowledged: date | None = None
    promised = planned = False
    for event in debtor.events:
        kind = event.type
        if kind in CONTACT_TYPES:
            promised = promised or getattr(event, "promise", None) is not None
            continue
        if kind not in _READ_EVENTS or event_day(event.at, zone) > as_of:
            continue
        if isinstance(event, Status):
            latest_status = event
        elif isinstance(event, Legal):
            legal = event
        elif isinstance(event, GuarantorDemand):
            demanded.add(event.guarantor)
        elif isinstance(event, Acknowledgment) and event.signed:
            acknowledged = event_day(event.at, zone)
        elif isinstance(event, Plan):
            planned = True

    # Broken promises in the last 90 and 180 days.
    broken = [p for p in promise_states(debtor, settings, as_of, state)
              if p.status == "broken" and (as_of - p.due).days <= 180] if promised else []
    if broken:
        near = sum(1 for p in broken if (as_of - p.due).days <= 90)
        last = broken[-1]
        sum_promised = money_display(last.amount, last.currency)
        signals.append(Signal("broken_promises", min(30, 10 * near + 5 * (len(broken) - near)), _t(
            lang, f"90天内失信{near}次、180天内{len(broken)}次（最近：承诺{last.due}前付{sum_promised}，"
                  f"实付{money_display(last.paid, last.currency)}）",
            f"{near} promise(s) broken in 90 days, {len(broken)} in 180 (latest: {sum_promised} by {last.due}, "
            f"{money_display(last.paid, last.currency)} paid)")))

    # Credit limit.
    limit = debtor.credit_limit
    used = open_amounts.get(money, ZERO)
    if limit is not None and used > limit:
        share = used / limit * 100 if limit else None
        points = 25 if share is None or share > 150 else 15
        shown = f"{share:.0f}%" if share is not None else "∞"
        signals.append(Signal("over_limit", points, _t(
            lang, f"未结{money_display(used, money)}，超出信用额度{money_display(limit, money)}（{shown}）",
            f"{money_display(used, money)} open, over the credit limit of {money_display(limit, money)} "
            f"({shown})")))

    # Status and legal events.
    status = state.status
    if status in STATUS_POINTS and latest_status is not None:
        since = event_day(latest_status.at, zone)
        words = {"bankrupt": ("破产", "bankrupt"), "deregistered": ("已注销", "deregistered"),
                 "closed": ("歇业", "closed"), "hold": ("暂停往来", "on hold")}[status]
        detail = _brief(latest_status.summary)
        signals.append(Signal("status", STATUS_POINTS[status], _t(
            lang, f"{words[0]}（{since}）{('：' + detail) if detail else ''}",
            f"{words[1]} since {since}{(': ' + detail) if detail else ''}")))
    if legal is not None and legal.action != "concluded":
        case = " ".join(x for x in (legal.court, legal.case_no) if x)
        signals.append(Signal("legal", 10, _t(
            lang, f"已{'判决' if legal.action == 'judgment' else '起诉/申请'}：{case or legal.action}",
            f"legal action {legal.action}: {case or '-'}")))

    # Instalment plan.
    plans = plan_states(debtor, settings, as_of, state) if planned else []
    if plans:
        missed = [i for i in plans[-1].installments if i.status == "missed"]
        if missed:
            first = missed[0]
            currency = plans[-1].currency
            signals.append(Signal("missed_installments", min(30, 10 * len(missed)), _t(
                lang, f"分期计划{len(missed)}期未付（第{first.number}期{money_display(first.amount, currency)}，"
                      f"{first.due}到期）",
                f"{len(missed)} instalment(s) missed (no. {first.number}, "
                f"{money_display(first.amount, currency)} due {first.due})")))

    # Disputes.
    disputed = [i for i in state.invoices if i.open and i.disputed]
    if disputed:
        listed = ", ".join(f"{i.id} {money_display(i.open, i.currency)}" for i in disputed)
        signals.append(Signal("dispute", 10, _t(lang, f"有争议：{listed}", f"disputed: {listed}")))

    if not signals:
        return None
    codes = {s.code for s in signals}
    worst = bucket_now == len(names) - 1 and bucket_now > 0
    score = min(100, sum(s.points for s in signals))
    advice = _advice(debtor, codes, score, status, latest_status, worst, demanded, acknowledged, as_of, lang)
    bucket = names[bucket_now]
    return DebtorRisk(debtor_id, debtor.name, debtor.collector, money, open_amounts, bucket,
                      oldest_days if oldest_days is not None and oldest_days > 0 else None, signals, advice)


def _advice(debtor: Debtor, codes: set[str], score: int, status: str, latest_status: Status | None,
            worst: bool, demanded: set[str], acknowledged: date | None, as_of: date,
            lang: Lang) -> list[Advice]:
    """What to do, most urgent first, in the trade's terms."""
    advice: list[Advice] = []

    def add(code: str, zh: str, en: str) -> None:
        if all(a.code != code for a in advice):
            advice.append(Advice(code, _t(lang, zh, en)))

    if status == "bankrupt" and latest_status is not None:
        if latest_status.claim_filed is not None:
            add("follow_claim", f"已于{latest_status.claim_filed}申报债权：跟进债权审查和债权人会议",
                f"claim filed on {latest_status.claim_filed}: follow the review and the creditors' meeting")
        else:
            deadline = latest_status.claims_deadline
            who = latest_status.administrator or _t(lang, "管理人", "the administrator")
            add("file_claim",
                f"向{who}申报债权" + (f"（申报期限{deadline}）" if deadline else ""),
                f"file the bankruptcy claim with {who}" + (f" by {deadline}" if deadline else ""))
    if status == "deregistered":
        add("pursue_liquidators", "核查注销前的清算情况，向股东/清算义务人追偿",
            "check how the company was liquidated before deregistration; claim against the shareholders "
            "(清算义务人)")
    serious = worst or bool(codes & {"status", "missed_installments", "broken_promises", "paying_later"})
    if serious:
        for guarantee in debtor.guarantees:
            if guarantee.guarantor not in demanded:
                add("demand_guarantor", f"在保证期间内向保证人{guarantee.guarantor}书面主张保证责任",
                    f"demand payment in writing from the guarantor {guarantee.guarantor} within the "
                    "guarantee period")
    if "legal" in codes:
        add("follow_case", "跟进案件进展，申请财产保全", "follow the case and apply for preservation of assets "
            "(财产保全)")
    if "over_limit" in codes:
        add("stop_deliveries", "暂停发货，直至余额回到信用额度以内并付清逾期款",
            "stop deliveries (暂停发货) until the balance is back within the limit and the overdue is paid")
    elif status == "hold":
        add("stop_deliveries", "暂停发货，待对方恢复正常经营并付清逾期款后再恢复",
            "stop deliveries (暂停发货) until the debtor trades normally again and the overdue is paid")
    recent_ack = acknowledged is not None and (as_of - acknowledged).days <= 180
    if (codes & {"broken_promises", "missed_installments"} or worst) and not recent_ack \
            and "legal" not in codes and status not in ("bankrupt", "deregistered"):
        add("acknowledgment", "请对方签署债务确认书（诉讼时效重新计算）",
            "send the debt acknowledgment (债务确认书) for signature: it restarts the limitation period")
    deteriorating = codes & {"paying_later", "later_than_usual", "over_limit"} or (
        "worse_bucket" in codes and score >= 20)
    if deteriorating and status not in ("bankrupt", "deregistered"):
        terms = debtor.terms_days
        add("shorten_terms",
            "缩短账期" + (f"（现为{terms}天）" if terms else "") + "或改为款到发货",
            "shorten the payment terms" + (f" (now {terms} days)" if terms else "") + " or ask for payment "
            "before delivery")
        add("security", "新订单要求提供担保或抵押（担保/抵押）",
            "ask for security (担保/抵押) before new orders")
    if "dispute" in codes:
        add("settle_dispute", "整理送货单、验收单等证据尽快解决争议；无争议部分先行催收",
            "gather delivery and acceptance records to settle the dispute; collect the undisputed part now")
    if not advice:
        add("call", "联系决策人，确认逾期款的具体付款日期和金额",
            "call the decision maker and get a date and an amount for the overdue payment")
    return advice


# ---------------------------------------------------------------------------------------------
# the ledger


def loss_rates(rolls: list[Decimal | None], c_loss: Decimal) -> list[Decimal]:
    """Loss rate per bucket: the product of the roll rates from it to the last bucket, times c_loss.

    `rolls[k]` is the roll rate from bucket k to bucket k+1 (None without history: taken as 1).
    """
    rates = [c_loss]
    for roll in reversed(rolls):
        rates.append((Decimal(1) if roll is None else roll) * rates[-1])
    rates.reverse()
    return rates


def provision(book: Portfolio, balances: Mapping[str, list[Decimal]], c_loss: Decimal) -> list[ProvisionBlock]:
    """Per currency and bucket: balance (as of the report date), roll rate, loss rate, provision."""
    blocks = []
    for currency in sorted(balances):
        total = book.total(currency) if currency in book.currencies else None
        rolls: list[Decimal | None] = [total.roll_rates[k].rate if total is not None else None
                                       for k in range(len(book.names) - 1)]
        rates = loss_rates(rolls, c_loss)
        lines = []
        for k, name in enumerate(book.names):
            balance = balances[currency][k]
            lines.append(ProvisionLine(name, balance, rolls[k] if k < len(rolls) else None, rates[k],
                                       (balance * rates[k]).quantize(CENT)))
        blocks.append(ProvisionBlock(currency, lines))
    return blocks


def risk_report(debtors: Mapping[str, Debtor], settings: Settings, as_of: date, *,
                c_loss: Decimal = Decimal(1), period: Period | None = None, lang: Lang = "zh") -> RiskReport:
    """Every debtor with a risk signal, highest score first, and the provision stress test.

    One replay per debtor as of `as_of` serves the signals, the balances and the roll rates.
    """
    if period is None:
        period = default_period(as_of)
    buckets = buckets_of(settings)
    bounds = buckets.bounds
    points = period.points
    cells: dict[CellKey, Figures] = {}
    balances: dict[str, list[Decimal]] = {}
    found = []
    for debtor_id, debtor in debtors.items():
        state = debtor_state(debtor, settings, as_of)
        history = History(debtor, state)
        add_debtor(cells, debtor, settings, period, state, points, history)
        for invoice in state.invoices:
            if invoice.open:
                row = balances.get(invoice.currency)
                if row is None:
                    row = balances[invoice.currency] = [ZERO] * len(buckets.names)
                row[bucket_index((as_of - invoice.due).days, bounds)] += invoice.open
        risk = assess(debtor_id, debtor, settings, as_of, state=state, history=history, lang=lang)
        if risk is not None:
            found.append(risk)
    found.sort(key=lambda r: (-r.score, -r.open.get(r.currency, ZERO), r.id))
    book = Portfolio(period, buckets.names, points, cells)
    return RiskReport(as_of, period, c_loss, found, provision(book, balances, c_loss))
