"""B2 Cloud's 基本レイアウト: its 95 columns, the column numbers written and the fixed codes."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Column:
    number: int  # 1-based, as in B2's layout
    header: str  # header text of B2's template
    limit: int | None  # cp932 bytes; None where the sources give none (columns left blank)


# B2 Cloud 外部データ取込み 基本レイアウト, 95 columns (docs/shipping-b2.md gives the sources).
COLUMNS: tuple[Column, ...] = tuple(
    Column(i + 1, header, limit)
    for i, (header, limit) in enumerate(
        [
            ("お客様管理番号", 50),
            ("送り状種類", 1),
            ("クール区分", 1),
            ("伝票番号", 12),
            ("出荷予定日", 10),
            ("お届け予定日", 10),
            ("配達時間帯", 4),
            ("お届け先コード", 20),
            ("お届け先電話番号", 15),
            ("お届け先電話番号枝番", 2),
            ("お届け先郵便番号", 8),
            ("お届け先住所", 64),
            ("お届け先アパートマンション名", 32),
            ("お届け先会社・部門１", 50),
            ("お届け先会社・部門２", 50),
            ("お届け先名", 32),
            ("お届け先名(ｶﾅ)", 50),
            ("敬称", 4),
            ("ご依頼主コード", 20),
            ("ご依頼主電話番号", 15),
            ("ご依頼主電話番号枝番", 2),
            ("ご依頼主郵便番号", 8),
            ("ご依頼主住所", 64),
            ("ご依頼主アパートマンション", 32),
            ("ご依頼主名", 32),
            ("ご依頼主名(ｶﾅ)", 50),
            ("品名コード１", 30),
            ("品名１", 50),
            ("品名コード２", 30),
            ("品名２", 50),
            ("荷扱い１", 20),
            ("荷扱い２", 20),
            ("記事", 44),
            ("ｺﾚｸﾄ代金引換額（税込)", 7),
            ("内消費税額等", 7),
            ("止置き", 1),
            ("営業所コード", 6),
            ("発行枚数", 2),
            ("個数口表示フラグ", 1),
            ("請求先顧客コード", 12),
            ("請求先分類コード", 3),
            ("運賃管理番号", 2),
            ("クロネコwebコレクトデータ登録", 1),
            ("クロネコwebコレクト加盟店番号", 9),
            ("クロネコwebコレクト申込受付番号１", 23),
            ("クロネコwebコレクト申込受付番号２", 23),
            ("クロネコwebコレクト申込受付番号３", 23),
            ("お届け予定ｅメール利用区分", 1),
            ("お届け予定ｅメールe-mailアドレス", 60),
            ("入力機種", 1),
            ("お届け予定ｅメールメッセージ", 148),
            ("お届け完了ｅメール利用区分", 1),
            ("お届け完了ｅメールe-mailアドレス", 60),
            ("お届け完了ｅメールメッセージ", 318),
            ("クロネコ収納代行利用区分", 1),
            ("予備", 1),
            ("収納代行請求金額(税込)", 7),
            ("収納代行内消費税額等", 7),
            ("収納代行請求先郵便番号", 8),
            ("収納代行請求先住所", 64),
            ("収納代行請求先住所（アパートマンション名）", 32),
            ("収納代行請求先会社・部門名１", 50),
            ("収納代行請求先会社・部門名２", 50),
            ("収納代行請求先名(漢字)", 32),
            ("収納代行請求先名(カナ)", 50),
            ("収納代行問合せ先名(漢字)", 32),
            ("収納代行問合せ先郵便番号", 8),
            ("収納代行問合せ先住所", 64),
            ("収納代行問合せ先住所（アパートマンション名）", 32),
            ("収納代行問合せ先電話番号", 15),
            ("収納代行管理番号", 20),
            ("収納代行品名", 50),
            ("収納代行備考", 28),
            ("複数口くくりキー", 20),
            ("検索キータイトル1", 20),
            ("検索キー1", 20),
            ("検索キータイトル2", 20),
            ("検索キー2", 20),
            ("検索キータイトル3", 20),
            ("検索キー3", 20),
            ("検索キータイトル4", 20),
            ("検索キー4", 20),
            ("検索キータイトル5", None),
            ("検索キー5", None),
            ("予備", None),
            ("予備", None),
            ("投函予定メール利用区分", 1),
            ("投函予定メールe-mailアドレス", 60),
            ("投函予定メールメッセージ", 148),
            ("投函完了メール（お届け先宛）利用区分", 1),
            ("投函完了メール（お届け先宛）e-mailアドレス", 60),
            ("投函完了メール（お届け先宛）メールメッセージ", 318),
            ("投函完了メール（ご依頼主宛）利用区分", 1),
            ("投函完了メール（ご依頼主宛）e-mailアドレス", 60),
            ("投函完了メール（ご依頼主宛）メールメッセージ", 318),
        ]
    )
)
assert len(COLUMNS) == 95  # noqa: S101 -- the layout is fixed; a wrong edit must fail at import

# Column numbers written by this module (1-based).
C_REFERENCE, C_SLIP_TYPE, C_COOL, C_TRACKING, C_SHIP_DATE, C_DELIVERY_DATE, C_TIME_SLOT = 1, 2, 3, 4, 5, 6, 7
C_TO_PHONE, C_TO_POSTAL, C_TO_ADDRESS, C_TO_BUILDING, C_TO_COMPANY = 9, 11, 12, 13, 14
C_TO_NAME, C_TO_KANA, C_HONORIFIC = 16, 17, 18
C_FROM_PHONE, C_FROM_POSTAL, C_FROM_ADDRESS, C_FROM_BUILDING, C_FROM_NAME, C_FROM_KANA = (
    20,
    22,
    23,
    24,
    25,
    26,
)
C_ITEM_1, C_ITEM_2, C_HANDLING_1, C_HANDLING_2 = 28, 30, 31, 32
C_HOLD_AT_OFFICE, C_LABEL_COUNT, C_BOX_FLAG = 36, 38, 39
C_BUNDLE_KEY = 74  # 複数口くくりキー
C_BILLING_CUSTOMER, C_BILLING_CLASS, C_FREIGHT_NUMBER = 40, 41, 42
# 利用区分 flags written as 0 (not used): some B2 set-ups refuse them blank.
C_UNUSED_FLAGS = (43, 48, 52, 55, 87, 90, 93)

SLIP_TYPE_PREPAID = "0"  # 送り状種類 0 = 発払い (sender pays)
SLIP_TYPE_PREPAID_MULTI = "6"  # 送り状種類 6 = 発払い（複数口）: several boxes to one address
BOX_FLAG_FRAME_AND_COUNT = "3"  # 個数口表示フラグ 3 = 枠と口数を印字する (B2's own for 複数口)
MAX_BOXES = 99  # B2: 出荷予定個数 1 to 99
COOL_NONE = "0"  # クール区分 0 = 通常 (no refrigeration)
HONORIFICS = ("様", "御中", "殿", "行", "係", "宛", "先生", "なし")
# 出荷予定日: B2 Cloud takes today to 30 days ahead (template note, error ES003001).
SHIP_DATE_MAX_DAYS_AHEAD = 30
