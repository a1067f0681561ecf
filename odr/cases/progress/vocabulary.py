"""The timeline's kind vocabulary: what each ``CaseEvent.kind`` is called in zh-CN and English.

Status changes are named by ``CaseEventKind``; other parts write their own
kinds with ``add_event`` and name them here (``register_kind_labels``) so the
timeline shows words, not identifiers. A kind nobody named is shown as itself.
"""

from __future__ import annotations

from typing import NamedTuple

from odr.cases.lifecycle import CaseEventKind as E


class KindLabel(NamedTuple):
    zh: str
    en: str


_LABELS: dict[str, KindLabel] = {
    # status changes (odr.cases.lifecycle)
    E.START_REVIEW: KindLabel("开始审查", "Review started"),
    E.ACCEPT: KindLabel("已受理", "Accepted"),
    E.REJECT: KindLabel("不予受理（退回）", "Rejected"),
    E.RESUBMIT: KindLabel("重新提交", "Resubmitted"),
    E.ASSIGN_INSTITUTION: KindLabel("分配调解组织", "Institution assigned"),
    E.ASSIGN_MEDIATOR: KindLabel("指定调解员", "Mediator assigned"),
    E.MEDIATOR_DECLINED: KindLabel("调解员拒绝接受", "Mediator declined"),
    E.MEDIATOR_ACCEPTED: KindLabel("调解员接受，调解开始", "Mediator accepted; mediation started"),
    E.REPLACE_MEDIATOR: KindLabel("更换调解员", "Mediator replaced"),
    E.AGREEMENT_TAKES_EFFECT: KindLabel("调解协议生效", "Agreement took effect"),
    E.END_WITHOUT_AGREEMENT: KindLabel("调解终结（未达成协议）", "Mediation ended without agreement"),
    E.WITHDRAW: KindLabel("撤回申请", "Withdrawn"),
    E.APPLY_CONFIRMATION: KindLabel("申请司法确认", "Judicial confirmation applied for"),
    E.WITHDRAW_CONFIRMATION: KindLabel("撤回司法确认申请", "Confirmation application withdrawn"),
    E.CONFIRM: KindLabel("司法确认有效", "Agreement confirmed by the court"),
    E.REJECT_CONFIRMATION: KindLabel("驳回司法确认申请", "Confirmation rejected"),
    E.REMEDIATE: KindLabel("重新调解", "Mediation resumed"),
    E.SUBMIT_TO_COURT: KindLabel("报送法院", "Submitted to the court"),
    E.ISSUE_MEDIATION_STATEMENT: KindLabel("出具调解书", "Mediation statement issued"),
    E.RULE_WITHDRAWAL: KindLabel("裁定准许撤诉", "Withdrawal ruled"),
    # other parts' events known when this was written
    "filed": KindLabel("提交申请", "Application filed"),
    "application_amended": KindLabel("修改申请", "Application amended"),
    "consent_recorded": KindLabel("记录当事人意愿", "Consent recorded"),
    "switched_offline": KindLabel("转为线下办理", "Switched to offline handling"),
    "agent_authorized": KindLabel("委托代理人", "Agent authorized"),
    "agent_revoked": KindLabel("解除委托代理", "Agent authorization revoked"),
    "service_address_confirmed": KindLabel("确认送达地址", "Service address confirmed"),
    "mediator_silent": KindLabel("调解员逾期未答复", "Mediator did not answer in time"),
    "deadline_opened": KindLabel("期限开始计算", "Deadline started"),
    "deadline_closed": KindLabel("期限结束", "Deadline closed"),
    "deadline_paused": KindLabel("期限暂停计算", "Deadline paused"),
    "deadline_resumed": KindLabel("期限恢复计算", "Deadline resumed"),
    "deadline_extended": KindLabel("期限延长", "Deadline extended"),
    "deadline_escalated": KindLabel("逾期提请处理", "Overdue deadline escalated"),
    "deadline_missed": KindLabel("期限届满", "Deadline passed"),
    # message threads and complaints (odr.cases.messages)
    "thread_opened": KindLabel("新留言", "Message thread opened"),
    "thread_message": KindLabel("留言回复", "Message added"),
    "thread_escalated": KindLabel("留言逾期未答复，已提请处理", "Unanswered message escalated"),
    "complaint_opened": KindLabel("收到投诉", "Complaint received"),
    "complaint_message": KindLabel("投诉回复", "Complaint message added"),
    "complaint_escalated": KindLabel("投诉逾期未答复，已提请处理", "Unanswered complaint escalated"),
    "complaint_supervision": KindLabel("重复投诉，列入督办", "Repeated complaint flagged for supervision"),
}


def register_kind_labels(kind: str, *, zh: str, en: str) -> None:
    """Name a timeline kind (call at import time of the module that writes it)."""
    _LABELS[kind] = KindLabel(zh, en)


def kind_label(kind: str) -> KindLabel:
    return _LABELS.get(kind) or KindLabel(kind, kind)


def vocabulary() -> dict[str, KindLabel]:
    """Every named kind (for documentation and the web page)."""
    return dict(_LABELS)
