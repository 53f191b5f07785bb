"""The demo merchants, their stores (real streets and districts, coordinates inside them),
opening hours, holidays and the people who work there. Content is Vietnamese on purpose."""

from __future__ import annotations

from dataclasses import dataclass, field

HCM, HN = "Hồ Chí Minh", "Hà Nội"
TZ = "Asia/Ho_Chi_Minh"
EMAIL_DOMAIN = "demo.o2o.example"  # a reserved TLD: demo mail can never reach anyone


def weekly(opens: str, closes: str, days=range(7), overnight: bool = False) -> list[dict]:
    return [{"weekday": d, "opens": opens, "closes": closes, "overnight": overnight}
            for d in days]


WEEKDAYS, WEEKEND = range(5), (5, 6)

# Tết Đinh Mùi: mùng 1 is 2027-02-06. Shops close early on New Year's Eve and for the first
# days of the year; coffee shops reopen on mùng 3 with short hours.
TET_EVE = {"date": "2027-02-05", "closed": False, "note": "Chiều 30 Tết, đóng cửa sớm",
           "intervals": [{"opens": "08:00", "closes": "15:00"}]}
TET_CLOSED = [{"date": day, "closed": True, "note": "Nghỉ Tết Nguyên đán"}
              for day in ("2027-02-06", "2027-02-07", "2027-02-08")]
TET_COFFEE = [TET_EVE, *TET_CLOSED[:2],
              {"date": "2027-02-08", "closed": False, "note": "Mùng 3 Tết, mở cửa muộn",
               "intervals": [{"opens": "09:00", "closes": "18:00"}]}]
CHRISTMAS_EVE = {"date": "2026-12-24", "closed": False, "note": "Đêm Giáng sinh, mở cửa muộn",
                 "intervals": [{"opens": "09:00", "closes": "23:30"}]}


@dataclass(frozen=True)
class StoreSpec:
    slug: str
    name: str
    address_line: str
    ward: str
    district: str
    city: str
    latitude: float
    longitude: float
    phone: str
    hours: list[dict]
    exceptions: list[dict] = field(default_factory=list)
    pickup: dict | None = None


@dataclass(frozen=True)
class ShopSpec:
    key: str  # also the SKU prefix
    slug: str
    name: str
    category: str
    description: str
    contact_email: str
    phone: str
    owner_name: str
    stores: list[StoreSpec]


def _store(slug, name, address, ward, district, city, lat, lon, phone, hours, exceptions=(),
           pickup=None) -> StoreSpec:
    return StoreSpec(slug, name, address, ward, district, city, lat, lon, phone, hours,
                     list(exceptions), pickup)


FASHION_HOURS = weekly("09:00", "22:00", WEEKDAYS) + weekly("09:00", "22:30", WEEKEND)
FASHION_PICKUP = {"pickup_enabled": True, "pickup_lead_minutes": 60, "pickup_slot_minutes": 30,
                  "pickup_orders_per_slot": 6}
ELECTRONICS_HOURS = weekly("08:30", "21:30")
ELECTRONICS_PICKUP = {"pickup_enabled": True, "pickup_lead_minutes": 120,
                      "pickup_slot_minutes": 60, "pickup_orders_per_slot": 10}
COFFEE_HOURS = weekly("06:30", "22:30")
# The Bùi Viện shop stays open past midnight on Friday and Saturday nights.
COFFEE_LATE_HOURS = weekly("06:30", "22:30", (0, 1, 2, 3, 6)) + weekly(
    "06:30", "02:00", (4, 5), overnight=True)
COFFEE_PICKUP = {"pickup_enabled": True, "pickup_lead_minutes": 15, "pickup_slot_minutes": 15,
                 "pickup_orders_per_slot": 12}
# The spa is closed on Mondays.
SPA_HOURS = weekly("09:00", "20:00", (1, 2, 3, 4)) + weekly("09:00", "21:00", WEEKEND)
SHOE_HOURS = weekly("09:00", "21:30")
SHOE_PICKUP = {"pickup_enabled": True, "pickup_lead_minutes": 60, "pickup_slot_minutes": 30,
               "pickup_orders_per_slot": 5}
SPORT_HOURS = weekly("08:00", "21:00", WEEKDAYS) + weekly("07:30", "21:30", WEEKEND)
SPORT_PICKUP = {"pickup_enabled": True, "pickup_lead_minutes": 90, "pickup_slot_minutes": 30,
                "pickup_orders_per_slot": 8, "reserve_enabled": True, "reserve_hold_hours": 48}
SHOP_HOLIDAYS = [CHRISTMAS_EVE, TET_EVE, *TET_CLOSED]

SHOPS: list[ShopSpec] = [
    ShopSpec(
        "ML", "moc-lan", "Thời Trang Mộc Lan", "fashion",
        "Thương hiệu thời trang Việt từ năm 2012: chất liệu tự nhiên như linen, lụa tơ tằm "
        "và đũi, may tại xưởng của chúng tôi ở Bình Dương. Đặt online, thử và nhận tại "
        "cửa hàng gần bạn.",
        "cskh.moclan@" + EMAIL_DOMAIN, "1900 6868 01", "Lê Thị Mộc Lan",
        [
            _store("dong-khoi", "Mộc Lan Đồng Khởi", "68 Đồng Khởi", "Phường Bến Nghé",
                   "Quận 1", HCM, 10.7763, 106.7032, "028 3822 6801", FASHION_HOURS,
                   SHOP_HOLIDAYS, FASHION_PICKUP),
            _store("vo-van-tan", "Mộc Lan Võ Văn Tần", "142 Võ Văn Tần", "Phường Võ Thị Sáu",
                   "Quận 3", HCM, 10.7768, 106.6897, "028 3930 6802", FASHION_HOURS,
                   SHOP_HOLIDAYS, FASHION_PICKUP),
            _store("phan-xich-long", "Mộc Lan Phan Xích Long", "215 Phan Xích Long",
                   "Phường 2", "Phú Nhuận", HCM, 10.7996, 106.6886, "028 3517 6803",
                   FASHION_HOURS, SHOP_HOLIDAYS, FASHION_PICKUP),
            _store("hang-bong", "Mộc Lan Hàng Bông", "56 Hàng Bông", "Phường Hàng Gai",
                   "Hoàn Kiếm", HN, 21.0306, 105.8471, "024 3828 6804", FASHION_HOURS,
                   SHOP_HOLIDAYS, FASHION_PICKUP),
            _store("xuan-thuy", "Mộc Lan Xuân Thủy", "122 Xuân Thủy", "Phường Dịch Vọng Hậu",
                   "Cầu Giấy", HN, 21.0369, 105.7849, "024 3767 6805", FASHION_HOURS,
                   SHOP_HOLIDAYS, FASHION_PICKUP),
        ]),
    ShopSpec(
        "SV", "sao-viet", "Điện Máy Sao Việt", "electronics",
        "Chuỗi điện thoại, laptop và đồ gia dụng thông minh chính hãng. Xem còn hàng ở cửa "
        "hàng nào gần bạn nhất, giữ hàng online và nhận trong 2 giờ. Trả góp 0%, bảo hành "
        "tận nơi.",
        "hotro.saoviet@" + EMAIL_DOMAIN, "1800 1234 56", "Phạm Quốc Việt",
        [
            _store("dien-bien-phu", "Sao Việt Điện Biên Phủ", "405 Điện Biên Phủ",
                   "Phường 25", "Bình Thạnh", HCM, 10.8008, 106.7112, "028 3899 1201",
                   ELECTRONICS_HOURS, TET_CLOSED, ELECTRONICS_PICKUP),
            _store("vo-van-ngan", "Sao Việt Võ Văn Ngân", "210 Võ Văn Ngân", "Phường Bình Thọ",
                   "Thủ Đức", HCM, 10.8503, 106.7631, "028 3722 1202", ELECTRONICS_HOURS,
                   TET_CLOSED, ELECTRONICS_PICKUP),
            _store("ba-thang-hai", "Sao Việt 3 Tháng 2", "520 Đường 3 Tháng 2", "Phường 14",
                   "Quận 10", HCM, 10.7664, 106.6662, "028 3863 1203", ELECTRONICS_HOURS,
                   TET_CLOSED, ELECTRONICS_PICKUP),
            _store("thai-ha", "Sao Việt Thái Hà", "98 Thái Hà", "Phường Trung Liệt", "Đống Đa",
                   HN, 21.0122, 105.8201, "024 3537 1204", ELECTRONICS_HOURS, TET_CLOSED,
                   ELECTRONICS_PICKUP),
            _store("tran-duy-hung", "Sao Việt Trần Duy Hưng", "150 Trần Duy Hưng",
                   "Phường Trung Hòa", "Cầu Giấy", HN, 21.0094, 105.8004, "024 3556 1205",
                   ELECTRONICS_HOURS, TET_CLOSED, ELECTRONICS_PICKUP),
        ]),
    ShopSpec(
        "SS", "suong-som", "Cà Phê Sương Sớm", "food-drink",
        "Cà phê phin Robusta Cầu Đất và Arabica Sơn La rang mỗi tuần. Đặt trước trên app, "
        "ghé quầy lấy ngay không cần xếp hàng.",
        "xinchao.suongsom@" + EMAIL_DOMAIN, "1900 2727 03", "Hoàng Minh Sương",
        [
            _store("bui-vien", "Sương Sớm Bùi Viện", "120 Bùi Viện", "Phường Phạm Ngũ Lão",
                   "Quận 1", HCM, 10.7673, 106.6931, "028 3836 2701", COFFEE_LATE_HOURS,
                   [*TET_COFFEE, {"date": "2026-12-31", "closed": False,
                                  "note": "Đêm giao thừa dương lịch",
                                  "intervals": [{"opens": "06:30", "closes": "03:00",
                                                 "overnight": True}]}], COFFEE_PICKUP),
            _store("nguyen-hue", "Sương Sớm Nguyễn Huệ", "42 Nguyễn Huệ", "Phường Bến Nghé",
                   "Quận 1", HCM, 10.7740, 106.7035, "028 3821 2702", COFFEE_HOURS,
                   TET_COFFEE, COFFEE_PICKUP),
            _store("ho-con-rua", "Sương Sớm Hồ Con Rùa", "8 Trần Cao Vân", "Phường Võ Thị Sáu",
                   "Quận 3", HCM, 10.7829, 106.6962, "028 3823 2703", COFFEE_HOURS, TET_COFFEE,
                   COFFEE_PICKUP),
            _store("thao-dien", "Sương Sớm Thảo Điền", "35 Xuân Thủy", "Phường Thảo Điền",
                   "Thủ Đức", HCM, 10.8031, 106.7336, "028 3744 2704", COFFEE_HOURS, TET_COFFEE,
                   COFFEE_PICKUP),
            _store("nha-tho", "Sương Sớm Nhà Thờ", "15 Nhà Thờ", "Phường Hàng Trống",
                   "Hoàn Kiếm", HN, 21.0287, 105.8494, "024 3928 2705", COFFEE_HOURS,
                   TET_COFFEE, COFFEE_PICKUP),
            _store("xuan-dieu", "Sương Sớm Xuân Diệu", "27 Xuân Diệu", "Phường Quảng An",
                   "Tây Hồ", HN, 21.0636, 105.8287, "024 3718 2706", COFFEE_HOURS, TET_COFFEE,
                   COFFEE_PICKUP),
            _store("kim-ma", "Sương Sớm Kim Mã", "201 Kim Mã", "Phường Kim Mã", "Ba Đình", HN,
                   21.0319, 105.8231, "024 3726 2707", COFFEE_HOURS, TET_COFFEE,
                   COFFEE_PICKUP),
        ]),
    ShopSpec(
        "LS", "lua-spa", "Lụa Spa & Salon", "beauty-spa",
        "Spa thảo dược và salon tóc: gội đầu dưỡng sinh, massage đá nóng, chăm sóc da và "
        "làm móng. Đặt lịch online, thanh toán tại spa. Nghỉ thứ Hai hằng tuần.",
        "datlich.luaspa@" + EMAIL_DOMAIN, "0909 456 789", "Đặng Thu Lụa",
        [
            _store("le-van-sy", "Lụa Spa Lê Văn Sỹ", "301 Lê Văn Sỹ", "Phường 13", "Quận 3",
                   HCM, 10.7871, 106.6797, "028 3931 4501", SPA_HOURS,
                   [*TET_CLOSED, {"date": "2026-12-08", "closed": True,
                                  "note": "Bảo trì hệ thống xông hơi"}]),
            _store("nguyen-gia-tri", "Lụa Spa Nguyễn Gia Trí", "62 Nguyễn Gia Trí",
                   "Phường 25", "Bình Thạnh", HCM, 10.8036, 106.7157, "028 3512 4502",
                   SPA_HOURS, TET_CLOSED),
            _store("to-ngoc-van", "Lụa Spa Tô Ngọc Vân", "18 Tô Ngọc Vân", "Phường Quảng An",
                   "Tây Hồ", HN, 21.0664, 105.8263, "024 3719 4503", SPA_HOURS, TET_CLOSED),
        ]),
    ShopSpec(
        "BX", "buoc-xinh", "Giày Bước Xinh", "shoes",
        "Giày da thủ công và sneaker cho cả nhà. Thành viên được nhận diện bằng số điện "
        "thoại ở mọi cửa hàng và online, tích điểm mỗi lần mua.",
        "cskh.buocxinh@" + EMAIL_DOMAIN, "1900 3030 05", "Vũ Đức Bước",
        [
            _store("nguyen-trai", "Bước Xinh Nguyễn Trãi", "260 Nguyễn Trãi",
                   "Phường Nguyễn Cư Trinh", "Quận 1", HCM, 10.7646, 106.6882,
                   "028 3920 3001", SHOE_HOURS, SHOP_HOLIDAYS, SHOE_PICKUP),
            _store("phan-dang-luu", "Bước Xinh Phan Đăng Lưu", "88 Phan Đăng Lưu", "Phường 5",
                   "Phú Nhuận", HCM, 10.8034, 106.6829, "028 3995 3002", SHOE_HOURS,
                   SHOP_HOLIDAYS, SHOE_PICKUP),
            _store("chua-boc", "Bước Xinh Chùa Bộc", "75 Chùa Bộc", "Phường Quang Trung",
                   "Đống Đa", HN, 21.0069, 105.8263, "024 3563 3003", SHOE_HOURS,
                   SHOP_HOLIDAYS, SHOE_PICKUP),
        ]),
    ShopSpec(
        "ND", "nang-dong", "Thể Thao Năng Động", "sports",
        "Đồ chạy bộ, cầu lông, pickleball và phòng gym. Đặt online rồi thử tại cửa hàng: "
        "không vừa thì không mua.",
        "cskh.nangdong@" + EMAIL_DOMAIN, "1900 5656 06", "Trịnh Văn Dũng",
        [
            _store("cong-hoa", "Năng Động Cộng Hòa", "350 Cộng Hòa", "Phường 13", "Tân Bình",
                   HCM, 10.8016, 106.6486, "028 3811 5601", SPORT_HOURS, TET_CLOSED,
                   SPORT_PICKUP),
            _store("phu-my-hung", "Năng Động Phú Mỹ Hưng", "101 Tôn Dật Tiên",
                   "Phường Tân Phú", "Quận 7", HCM, 10.7291, 106.7186, "028 5412 5602",
                   SPORT_HOURS, TET_CLOSED, SPORT_PICKUP),
            _store("doi-can", "Năng Động Đội Cấn", "140 Đội Cấn", "Phường Đội Cấn", "Ba Đình",
                   HN, 21.0359, 105.8276, "024 3722 5603", SPORT_HOURS, TET_CLOSED,
                   SPORT_PICKUP),
        ]),
]


# --- people ------------------------------------------------------------------------------------
# Documented demo passwords, printed by `marketplace demo-data` for a local demo and used
# nowhere else. Never load demo data into a database reachable from the internet.
DEMO_PASSWORD = "demo-o2o-2026"  # noqa: S105 - a documented demo credential
ADMIN_PASSWORD = "admin-o2o-2026"  # noqa: S105 - a documented demo credential

ADMIN = {"email": "admin@" + EMAIL_DOMAIN, "full_name": "Quản trị viên nền tảng"}
CONSUMER = {"email": "khachhang@" + EMAIL_DOMAIN, "full_name": "Nguyễn Minh Anh",
            "phone": "0912 345 678"}


def owner_email(shop: ShopSpec) -> str:
    return f"chu.{shop.slug.replace('-', '')}@{EMAIL_DOMAIN}"


@dataclass(frozen=True)
class StaffSpec:
    shop_slug: str
    email: str
    full_name: str
    role: str
    store_slugs: tuple[str, ...] = ()  # empty: every store


STAFF: list[StaffSpec] = [
    StaffSpec("moc-lan", "quanly.moclan@" + EMAIL_DOMAIN, "Bùi Thanh Hà", "manager"),
    StaffSpec("moc-lan", "nhanvien.dongkhoi@" + EMAIL_DOMAIN, "Ngô Gia Huy", "staff",
              ("dong-khoi",)),
    StaffSpec("suong-som", "barista.buivien@" + EMAIL_DOMAIN, "Lý Bảo Ngọc", "staff",
              ("bui-vien",)),
    # Riders of the shops that deliver themselves: their deliveries are on /rider/.
    StaffSpec("sao-viet", "shipper.saoviet@" + EMAIL_DOMAIN, "Phan Văn Tài", "staff",
              ("dien-bien-phu", "ba-thang-hai")),
    StaffSpec("moc-lan", "shipper.moclan@" + EMAIL_DOMAIN, "Đỗ Minh Khoa", "staff",
              ("dong-khoi", "vo-van-tan")),
]
