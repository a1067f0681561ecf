"""Chinese labels the transfer package prints (data, not logic)."""

from __future__ import annotations

from odr.cases.lifecycle import EndGround

GROUND_ZH: dict[str, str] = {
    EndGround.RESPONDENT_REFUSED: "被申请人不同意调解",
    EndGround.RESPONDENT_NO_REPLY: "被申请人逾期未答复是否同意调解",
    EndGround.PARTY_REFUSED_TO_CONTINUE: "当事人拒绝继续调解",
    EndGround.PARTY_REFUSED_TO_SIGN: "当事人拒绝签署调解协议",
    EndGround.PARTY_UNREACHABLE: "当事人无法联系",
    EndGround.PERIOD_ENDED: "调解期限届满且未经各方同意延长",
    EndGround.REFUSED_REPLACEMENT_MEDIATOR: "当事人拒绝更换后的调解员",
    EndGround.NO_MEDIATOR: "无法确定调解员",
    EndGround.NOT_SUITABLE: "纠纷不宜调解",
    EndGround.OTHER: "其他事由",
}

CHANNEL_ZH: dict[str, str] = {
    "self_filed": "当事人自行申请",
    "delegated": "法院委派调解（立案前）",
    "entrusted": "法院委托调解（立案后）",
    "walk_in": "调解组织现场登记",
}

CATEGORY_ZH: dict[str, str] = {
    "financial_consumer": "金融消费纠纷",
    "banking": "银行业纠纷",
    "insurance": "保险纠纷",
    "securities": "证券纠纷",
    "capital_market": "资本市场纠纷",
    "commercial_trade": "商事贸易纠纷",
    "financial_leasing": "融资租赁纠纷",
    "private_enterprise": "民营企业纠纷",
    "general_civil": "一般民事纠纷",
}

DOCUMENT_KIND_ZH: dict[str, str] = {
    "application": "申请材料",
    "evidence": "证据",
    "identity": "身份证明",
    "power_of_attorney": "授权委托书",
    "session_record": "调解笔录",
    "agreement": "调解协议",
    "ruling": "裁定书",
    "notice": "通知书",
    "service_receipt": "送达回证",
    "transfer_package": "移交材料",
    "other": "其他材料",
}

SIDE_ZH = {"applicant": "申请人", "respondent": "被申请人"}
PARTY_KIND_ZH = {"person": "自然人", "organisation": "法人或非法人组织"}
