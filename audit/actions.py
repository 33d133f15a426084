"""Every audit action the application writes, with its Japanese label for the staff pages.

tests/test_audit_actions.py fails when code writes an action that is not listed here.
"""

ACTION_LABELS = {
    "auth.login": "ログイン",
    "auth.login_failed": "ログイン失敗",
    "auth.logout": "ログアウト",
    "setting.set": "フラグ設定",
    "setting.clear_requested": "解除依頼",
    "setting.cleared": "解除（承認）",
    "setting.clear_rejected": "解除依頼の却下",
    "case.opened": "設定対象者の登録",
    "case.checklist_updated": "カード停止等手続の更新",
    "inquiry.sent": "情報照会の送信",
    "inquiry.received": "情報照会の受信",
    "admin.inquiry_resent": "運用者による再照会",
    "manual_response.approved": "手動応答（送信許可）",
    "manual_response.declined": "手動応答（提供せず）",
    "append_request.filed": "追記依頼",
    "member.enrolled": "被保険者の加入",
    "member.lost": "資格喪失",
    "replica.registered": "副本登録",
    "replica.bulk_registered": "副本の一括登録",
    "protected.viewed": "設定対象者等の閲覧",
    "audit.exchanges_viewed": "やりとり履歴（監査）の閲覧",
    "audit.trail_viewed": "監査証跡の閲覧",
    "audit.trail_exported": "監査証跡のCSV出力",
    "staff.created": "職員の登録",
    "staff.preferences_changed": "表示設定の変更",
    "api_token.created": "APIトークンの発行",
    "api_token.revoked": "APIトークンの失効",
    "settings_csv.checked": "設定CSVの出力前確認",
    "settings_csv.exported": "設定CSVの出力",
    "settings_csv.exported_admin": "設定CSVの出力（運用管理）",
    "settings_csv.imported": "設定CSVの取込",
    "settings_csv.import_refused": "設定CSVの取込（拒否）",
    "portal.preview": "マイナポータル表示の確認",
    "card.issued": "カード交付",
    "card.locked": "カードのロック",
    "card.suspended": "カード停止",
    "proxy.named": "代理人の設定",
    "proxy.removed": "代理人の解除",
    "peer.setting.set": "他機関によるフラグ設定",
    "peer.replica.registered": "他機関の副本登録",
    "sim.insurer.created": "シミュレーション: 保険者の作成",
    "sim.municipality.created": "シミュレーション: 市町村の作成",
    "sim.staff.created": "シミュレーション: 職員の作成",
    "sim.person.created": "シミュレーション: 個人の作成",
    "sim.member.enrolled": "シミュレーション: 加入",
    "sim.replica.registered": "シミュレーション: 副本登録",
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, "その他の操作")
