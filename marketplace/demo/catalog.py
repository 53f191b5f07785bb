"""The demo listings: realistic Vietnamese titles and VND prices, built as the ``data``
dictionaries ``catalog.services.create_listing`` takes. Pure data, no database."""

from __future__ import annotations

from itertools import product

from ..validation import slugify

SIZES = ("S", "M", "L", "XL")
PALETTE = ("Trắng", "Đen", "Be", "Xanh navy", "Hồng phấn", "Xanh rêu", "Nâu bò", "Xám")


def _code(value: str) -> str:
    return slugify(value, 12).upper().replace("-", "") or "X"


def _variants(prefix: str, options: dict[str, list], base_price: int, *,
              surcharge: dict[str, int] | None = None, compare_ratio: float | None = None
              ) -> list[dict]:
    """Every combination of the option values (one plain variant without options);
    ``surcharge`` adds to the price per option value."""
    names = list(options)
    rows = []
    for position, values in enumerate(product(*(options[n] for n in names))):
        price = base_price + sum((surcharge or {}).get(v, 0) for v in values)
        row = {"sku": "-".join([prefix, *(_code(v) for v in values)])[:64], "price": price,
               "options": dict(zip(names, values, strict=True)), "position": position}
        if compare_ratio:
            row["compare_at_price"] = round(price * compare_ratio / 1000) * 1000
        rows.append(row)
    return rows


def _product(shop_key: str, n: int, title: str, category: str, description: str,
             tags: list[str], options: dict[str, list], price: int, **variant_args) -> dict:
    prefix = f"{shop_key}-{n:03d}"
    return {"kind": "product", "title": title, "slug": slugify(title, 100),
            "description": description, "category": category, "tags": tags,
            "variants": _variants(prefix, options, price, **variant_args)}


def _service(shop_key: str, n: int, title: str, minutes: int, price: int, description: str,
             tags: list[str], category: str) -> dict:
    return {"kind": "service", "title": title, "slug": slugify(title, 100),
            "description": description, "category": category, "tags": tags,
            "duration_minutes": minutes, "price": price, "sku": f"{shop_key}-{n:03d}"}


def _voucher(shop_key: str, n: int, title: str, category: str, description: str,
             tags: list[str], *, price: int, kind: str, value: int, **validity) -> dict:
    return {"kind": "voucher", "title": title, "slug": slugify(title, 100),
            "description": description, "category": category, "tags": tags, "price": price,
            "sku": f"{shop_key}-{n:03d}", "voucher_kind": kind, "voucher_value": value,
            **validity}


# --- Thời Trang Mộc Lan --------------------------------------------------------------------------

FASHION = [  # (two related titles, their prices, tags)
    (("Áo sơ mi linen tay dài", "Áo sơ mi linen tay ngắn"), (459000, 399000), ["linen", "công sở"]),
    (("Áo sơ mi lụa cổ đức", "Áo sơ mi lụa cổ nơ"), (529000, 549000), ["lụa", "công sở"]),
    (("Áo thun cotton cổ tròn", "Áo thun cotton cổ tim"), (199000, 199000), ["cotton", "basic"]),
    (("Áo polo pique basic", "Áo polo phối viền"), (299000, 329000), ["polo"]),
    (("Áo kiểu cổ vuông tay bồng", "Áo kiểu cổ yếm"), (349000, 329000), ["dạo phố"]),
    (("Áo croptop gân tăm", "Áo hai dây gân tăm"), (229000, 179000), ["dạo phố", "mùa hè"]),
    (("Áo blazer dáng suông", "Áo blazer cổ sam"), (899000, 949000), ["công sở"]),
    (("Áo khoác denim wash", "Áo khoác gió hai lớp"), (659000, 559000), ["áo khoác"]),
    (("Áo len dệt kim cổ tròn", "Áo cardigan len mỏng"), (429000, 459000), ["len", "thu đông"]),
    (("Áo dài cách tân lụa tơ tằm", "Áo dài truyền thống gấm"), (1250000, 1590000),
     ["áo dài", "tết"]),
    (("Quần tây ống đứng", "Quần tây ống loe"), (459000, 479000), ["công sở"]),
    (("Quần jeans ống rộng", "Quần jeans slim fit"), (549000, 529000), ["jeans"]),
    (("Quần short kaki", "Quần short jeans"), (289000, 319000), ["mùa hè"]),
    (("Quần culottes lưng cao", "Quần baggy vải đũi"), (399000, 379000), ["đũi", "dạo phố"]),
    (("Chân váy chữ A", "Chân váy bút chì"), (359000, 389000), ["chân váy", "công sở"]),
    (("Chân váy xếp ly midi", "Chân váy jeans ngắn"), (419000, 329000), ["chân váy"]),
    (("Đầm suông linen", "Đầm suông cổ sơ mi"), (589000, 619000), ["đầm", "linen"]),
    (("Đầm maxi hoa nhí", "Đầm maxi trễ vai"), (649000, 679000), ["đầm", "đi biển"]),
    (("Đầm công sở tay lỡ", "Đầm công sở cổ V"), (629000, 649000), ["đầm", "công sở"]),
    (("Đầm hai dây lụa satin", "Đầm body dệt kim"), (559000, 499000), ["đầm", "dự tiệc"]),
    (("Bộ đồ ngủ lụa dài tay", "Bộ đồ ngủ lụa cộc tay"), (489000, 429000), ["đồ ngủ", "lụa"]),
    (("Áo hoodie nỉ bông", "Áo sweater nỉ da cá"), (459000, 399000), ["nỉ", "thu đông"]),
    (("Set áo quần đũi", "Set vest công sở"), (699000, 1390000), ["set đồ"]),
    (("Túi tote vải canvas", "Túi đeo chéo da PU"), (249000, 459000), ["phụ kiện", "túi"]),
]


def fashion(key: str, category: str) -> list[dict]:
    listings, n = [], 0
    for (titles, prices, tags) in FASHION:
        for title, price in zip(titles, prices, strict=True):
            n += 1
            colours = [PALETTE[n % len(PALETTE)], PALETTE[(n * 3 + 1) % len(PALETTE)]]
            options = {"Màu": colours} if "Túi" in title else {"Kích cỡ": list(SIZES),
                                                                "Màu": colours}
            description = (
                f"{title} của Mộc Lan, may tại xưởng Bình Dương từ chất liệu thoáng mát, hợp "
                "khí hậu nhiệt đới.\nBảng size có tại cửa hàng; đặt online và thử tại cửa "
                "hàng, đổi size miễn phí trong 7 ngày.")
            listings.append(_product(key, n, title, category, description, tags, options, price,
                                     compare_ratio=1.25 if n % 5 == 0 else None))
    listings.append(_voucher(
        key, n + 1, "Mã giảm 30% toàn bộ sản phẩm — chỉ dùng tại cửa hàng", category,
        "Lưu mã online, đưa mã QR cho thu ngân để được giảm 30% cho mọi sản phẩm nguyên giá. "
        "Chỉ áp dụng khi mua trực tiếp tại các cửa hàng Mộc Lan, không áp dụng cho đơn online.",
        ["khuyến mãi", "chỉ tại cửa hàng"], price=0, kind="percent", value=30,
        valid_from="2026-11-20", valid_until="2027-01-31"))
    listings.append(_voucher(
        key, n + 2, "Phiếu quà tặng Mộc Lan 200.000₫", category,
        "Món quà cho người thân: dùng tại mọi cửa hàng Mộc Lan trong 90 ngày.",
        ["quà tặng"], price=200000, kind="amount", value=200000, valid_days=90))
    return listings


# --- Điện Máy Sao Việt ---------------------------------------------------------------------------

ELECTRONICS = [  # (title, options, base price, surcharges, tags)
    ("Điện thoại iPhone 16", {"Dung lượng": ["128GB", "256GB"], "Màu": ["Đen", "Trắng", "Hồng"]},
     22990000, {"256GB": 3000000}, ["điện thoại", "apple"]),
    ("Điện thoại iPhone 16 Pro", {"Dung lượng": ["128GB", "256GB"],
                                  "Màu": ["Titan tự nhiên", "Titan đen"]},
     28990000, {"256GB": 3000000}, ["điện thoại", "apple"]),
    ("Điện thoại Samsung Galaxy S25", {"Dung lượng": ["256GB", "512GB"],
                                       "Màu": ["Xanh navy", "Bạc"]},
     22990000, {"512GB": 3500000}, ["điện thoại", "samsung"]),
    ("Điện thoại Samsung Galaxy A56 5G", {"Dung lượng": ["128GB", "256GB"],
                                          "Màu": ["Đen", "Xanh nhạt"]},
     9490000, {"256GB": 1000000}, ["điện thoại", "samsung"]),
    ("Điện thoại Xiaomi Redmi Note 14 Pro", {"Dung lượng": ["128GB", "256GB"],
                                             "Màu": ["Đen", "Tím"]},
     7490000, {"256GB": 800000}, ["điện thoại", "xiaomi"]),
    ("Điện thoại OPPO Reno13 F", {"Dung lượng": ["256GB"], "Màu": ["Xám", "Tím"]},
     9990000, {}, ["điện thoại", "oppo"]),
    ("Điện thoại Samsung Galaxy Z Flip6", {"Dung lượng": ["256GB", "512GB"],
                                           "Màu": ["Xanh mint", "Vàng"]},
     24990000, {"512GB": 3000000}, ["điện thoại", "màn hình gập"]),
    ("Điện thoại Xiaomi 14T", {"Dung lượng": ["256GB", "512GB"], "Màu": ["Đen", "Xanh"]},
     12990000, {"512GB": 1500000}, ["điện thoại", "xiaomi"]),
    ("Điện thoại vivo V40", {"Dung lượng": ["256GB"], "Màu": ["Tím", "Bạc"]},
     11990000, {}, ["điện thoại", "vivo"]),
    ("Điện thoại realme 13 Pro", {"Dung lượng": ["256GB"], "Màu": ["Xanh", "Vàng"]},
     9490000, {}, ["điện thoại", "realme"]),
    ("Máy tính bảng iPad Air M2 11 inch Wi-Fi", {"Dung lượng": ["128GB", "256GB"],
                                                 "Màu": ["Xám", "Xanh"]},
     16990000, {"256GB": 3000000}, ["máy tính bảng", "apple"]),
    ("Máy tính bảng Samsung Galaxy Tab S9 FE", {"Dung lượng": ["128GB", "256GB"],
                                                "Màu": ["Xám", "Bạc"]},
     9990000, {"256GB": 1500000}, ["máy tính bảng", "samsung"]),
    ("Máy tính bảng Xiaomi Pad 6", {"Dung lượng": ["128GB", "256GB"], "Màu": ["Xám", "Xanh"]},
     7990000, {"256GB": 1000000}, ["máy tính bảng", "xiaomi"]),
    ("Laptop MacBook Air M3 13 inch", {"Cấu hình": ["8GB/256GB", "16GB/512GB"],
                                       "Màu": ["Xám", "Bạc", "Xanh đêm"]},
     27490000, {"16GB/512GB": 8500000}, ["laptop", "apple"]),
    ("Laptop ASUS Vivobook 15", {"Cấu hình": ["i5/16GB/512GB", "i7/16GB/1TB"], "Màu": ["Bạc"]},
     15990000, {"i7/16GB/1TB": 3500000}, ["laptop", "văn phòng"]),
    ("Laptop Dell Inspiron 14", {"Cấu hình": ["i5/8GB/512GB", "i7/16GB/512GB"],
                                 "Màu": ["Bạc"]},
     17490000, {"i7/16GB/512GB": 4000000}, ["laptop", "văn phòng"]),
    ("Laptop Lenovo IdeaPad Slim 5", {"Cấu hình": ["R5/16GB/512GB", "R7/16GB/1TB"],
                                      "Màu": ["Xám", "Xanh"]},
     16490000, {"R7/16GB/1TB": 3000000}, ["laptop", "mỏng nhẹ"]),
    ("Laptop HP Pavilion 15", {"Cấu hình": ["i5/16GB/512GB"], "Màu": ["Bạc", "Vàng hồng"]},
     17990000, {}, ["laptop", "văn phòng"]),
    ("Laptop gaming Acer Nitro V 15", {"Cấu hình": ["i5/16GB/512GB RTX 4050",
                                                    "i7/16GB/1TB RTX 4060"], "Màu": ["Đen"]},
     22990000, {"i7/16GB/1TB RTX 4060": 6000000}, ["laptop", "gaming"]),
    ("Tai nghe AirPods Pro 2 USB-C", {"Màu": ["Trắng"]}, 5990000, {}, ["tai nghe", "apple"]),
    ("Tai nghe chống ồn Sony WH-1000XM5", {"Màu": ["Đen", "Bạc"]}, 7990000, {},
     ["tai nghe", "chống ồn"]),
    ("Tai nghe Bluetooth JBL Tune 520BT", {"Màu": ["Đen", "Xanh", "Trắng"]}, 1290000, {},
     ["tai nghe", "bluetooth"]),
    ("Loa Bluetooth JBL Flip 6", {"Màu": ["Đen", "Đỏ", "Xanh"]}, 2690000, {},
     ["loa", "chống nước"]),
    ("Loa Marshall Emberton II", {"Màu": ["Đen", "Kem"]}, 4290000, {}, ["loa", "bluetooth"]),
    ("Tai nghe Samsung Galaxy Buds3 Pro", {"Màu": ["Bạc", "Trắng"]}, 4990000, {},
     ["tai nghe", "samsung"]),
    ("Đồng hồ Apple Watch Series 10 GPS", {"Kích thước": ["42mm", "46mm"],
                                           "Màu": ["Đen", "Bạc"]},
     10990000, {"46mm": 1000000}, ["đồng hồ thông minh", "apple"]),
    ("Đồng hồ Samsung Galaxy Watch7", {"Kích thước": ["40mm", "44mm"],
                                       "Màu": ["Xanh", "Kem"]},
     6990000, {"44mm": 700000}, ["đồng hồ thông minh", "samsung"]),
    ("Vòng đeo tay Xiaomi Smart Band 9", {"Màu": ["Đen", "Hồng"]}, 990000, {},
     ["đồng hồ thông minh", "xiaomi"]),
    ("Smart TV Samsung 4K 55 inch", {}, 12990000, {}, ["tivi", "4k"]),
    ("Google TV Sony 4K 65 inch", {}, 22990000, {}, ["tivi", "4k"]),
    ("Máy lọc không khí Xiaomi 4 Lite", {}, 2990000, {}, ["gia dụng", "nhà thông minh"]),
    ("Robot hút bụi lau nhà Roborock Q7", {"Màu": ["Trắng", "Đen"]}, 7490000, {},
     ["gia dụng", "nhà thông minh"]),
    ("Củ sạc nhanh Anker 65W GaN", {"Màu": ["Trắng", "Đen"]}, 890000, {}, ["phụ kiện", "sạc"]),
    ("Pin sạc dự phòng Xiaomi 20000mAh 22.5W", {"Màu": ["Đen", "Trắng"]}, 590000, {},
     ["phụ kiện", "sạc"]),
    ("Cáp USB-C sang USB-C bọc dù 1m", {"Màu": ["Trắng", "Đen"]}, 190000, {},
     ["phụ kiện", "cáp"]),
    ("Chuột không dây Logitech M331 Silent", {"Màu": ["Đen", "Xám", "Đỏ"]}, 390000, {},
     ["phụ kiện", "chuột"]),
    ("Bàn phím cơ Keychron K2 Pro", {"Switch": ["Red", "Brown"]}, 2190000, {},
     ["phụ kiện", "bàn phím"]),
    ("Ốp lưng silicon iPhone 16 MagSafe", {"Màu": ["Đen", "Xanh", "Hồng", "Trắng"]},
     490000, {}, ["phụ kiện", "ốp lưng"]),
]


def electronics(key: str, category: str) -> list[dict]:
    listings = []
    for n, (title, options, price, surcharge, tags) in enumerate(ELECTRONICS, start=1):
        description = (
            f"{title} hàng chính hãng, mới 100%, bảo hành 12 tháng tại trung tâm bảo hành.\n"
            "Xem cửa hàng gần bạn còn hàng, giữ máy online và nhận trong 2 giờ. Trả góp 0% "
            "qua thẻ tín dụng.")
        listings.append(_product(key, n, title, category, description, tags, options, price,
                                 surcharge=surcharge,
                                 compare_ratio=1.1 if n % 4 == 0 else None))
    listings.append(_voucher(
        key, len(ELECTRONICS) + 1, "Phiếu mua hàng Sao Việt 1.000.000₫", category,
        "Dùng cho mọi sản phẩm tại cửa hàng Sao Việt, trong 180 ngày kể từ ngày mua.",
        ["quà tặng"], price=1000000, kind="amount", value=1000000, valid_days=180))
    return listings


# --- Cà Phê Sương Sớm ----------------------------------------------------------------------------

CUP = {"Cỡ": ["Nhỏ", "Vừa", "Lớn"]}
CUP_PRICE = {"Vừa": 6000, "Lớn": 10000}
DRINKS = [  # (title, price of the small cup, tags)
    ("Cà phê sữa đá", 29000, ["cà phê", "truyền thống"]),
    ("Cà phê đen đá", 25000, ["cà phê", "truyền thống"]),
    ("Bạc xỉu", 32000, ["cà phê", "truyền thống"]),
    ("Cà phê muối", 35000, ["cà phê", "đặc biệt"]),
    ("Cà phê trứng", 45000, ["cà phê", "hà nội"]),
    ("Cà phê cốt dừa", 45000, ["cà phê", "đá xay"]),
    ("Americano", 39000, ["cà phê", "máy"]),
    ("Cappuccino", 49000, ["cà phê", "máy"]),
    ("Latte", 49000, ["cà phê", "máy"]),
    ("Caramel macchiato", 55000, ["cà phê", "máy"]),
    ("Mocha", 55000, ["cà phê", "máy"]),
    ("Cold brew cam sả", 49000, ["cold brew"]),
    ("Cold brew truyền thống", 45000, ["cold brew"]),
    ("Trà đào cam sả", 45000, ["trà trái cây"]),
    ("Trà vải hoa hồng", 45000, ["trà trái cây"]),
    ("Trà sen vàng", 49000, ["trà"]),
    ("Trà oolong kem cheese", 52000, ["trà"]),
    ("Trà sữa trân châu đường đen", 45000, ["trà sữa"]),
    ("Matcha latte", 52000, ["trà", "matcha"]),
    ("Trà chanh giã tay", 29000, ["trà trái cây"]),
    ("Sữa chua cà phê", 39000, ["sữa chua"]),
    ("Sinh tố bơ", 49000, ["sinh tố"]),
    ("Sinh tố xoài", 45000, ["sinh tố"]),
    ("Nước ép cam tươi", 39000, ["nước ép"]),
    ("Nước ép dưa hấu", 35000, ["nước ép"]),
    ("Cookie đá xay", 55000, ["đá xay"]),
    ("Chocolate đá xay", 55000, ["đá xay"]),
    ("Cacao sữa nóng", 42000, ["đồ uống nóng"]),
    ("Trà gừng mật ong", 39000, ["đồ uống nóng"]),
]
BAKERY = [("Bánh croissant bơ", 35000), ("Bánh tiramisu", 45000),
          ("Bánh bông lan trứng muối", 39000), ("Bánh mì que pate", 18000)]
GRIND = {"Kiểu xay": ["Nguyên hạt", "Xay pha phin", "Xay pha máy"]}


def coffee(key: str, category: str) -> list[dict]:
    listings, n = [], 0
    for title, price, tags in DRINKS:
        n += 1
        description = (f"{title} pha từ cà phê rang mỗi tuần tại xưởng Sương Sớm. "
                       "Đặt trước, đến quầy lấy ngay.")
        listings.append(_product(key, n, title, category, description, tags, CUP, price,
                                 surcharge=CUP_PRICE))
    for title, price in BAKERY:
        n += 1
        listings.append(_product(key, n, title, category, "Bánh nướng mới mỗi sáng.",
                                 ["bánh"], {}, price))
    for title, price in (("Cà phê hạt Robusta Cầu Đất 500g", 185000),
                         ("Cà phê hạt Arabica Sơn La 250g", 165000)):
        n += 1
        listings.append(_product(
            key, n, title, category,
            "Rang mộc, không tẩm ướp. Chọn kiểu xay khi đặt; nhận tại quầy.",
            ["cà phê hạt", "mang về"], GRIND, price))
    for title, price in (("Cà phê phin giấy Sương Sớm hộp 10 gói", 95000),
                         ("Bộ phin nhôm và ly sứ Sương Sớm", 149000)):
        n += 1
        listings.append(_product(key, n, title, category, "Pha cà phê phin ở nhà hay văn phòng.",
                                 ["mang về", "quà tặng"], {}, price))
    listings.append(_voucher(
        key, n + 1, "Thẻ quà tặng Sương Sớm 100.000₫", category,
        "Tặng bạn bè một buổi cà phê: dùng tại mọi quán Sương Sớm trong 90 ngày.",
        ["quà tặng"], price=100000, kind="amount", value=100000, valid_days=90))
    listings.append(_voucher(
        key, n + 2, "Giảm 20% khi đặt trước và lấy tại quầy", category,
        "Đặt món trên web, lấy tại quầy không cần xếp hàng, giảm 20% hóa đơn. Dùng một lần.",
        ["khuyến mãi", "đặt trước"], price=0, kind="percent", value=20, valid_days=14))
    return listings


# --- Lụa Spa & Salon -----------------------------------------------------------------------------

SPA = [  # (title, minutes, price, tags)
    ("Gội đầu dưỡng sinh thảo dược", 45, 120000, ["gội đầu", "thư giãn"]),
    ("Gội đầu dưỡng sinh kèm massage cổ vai gáy", 75, 220000, ["gội đầu", "massage"]),
    ("Massage body đá nóng", 90, 450000, ["massage", "thư giãn"]),
    ("Massage body tinh dầu thư giãn", 60, 350000, ["massage", "thư giãn"]),
    ("Massage Thái truyền thống", 90, 420000, ["massage"]),
    ("Massage chân bấm huyệt", 60, 250000, ["massage", "chân"]),
    ("Chăm sóc da mặt cơ bản", 60, 320000, ["chăm sóc da"]),
    ("Chăm sóc da mặt chuyên sâu cấp ẩm", 90, 590000, ["chăm sóc da"]),
    ("Liệu trình trị mụn chuẩn y khoa", 75, 450000, ["chăm sóc da", "trị mụn"]),
    ("Tẩy tế bào chết toàn thân muối biển", 45, 290000, ["body"]),
    ("Ủ trắng toàn thân collagen", 60, 490000, ["body"]),
    ("Tắm lá thuốc người Dao", 60, 280000, ["thảo dược", "thư giãn"]),
    ("Cắt tóc nữ và tạo kiểu", 60, 250000, ["tóc"]),
    ("Cắt tóc nam", 30, 120000, ["tóc"]),
    ("Uốn tóc setting Hàn Quốc", 150, 890000, ["tóc"]),
    ("Nhuộm tóc thời trang", 120, 690000, ["tóc"]),
    ("Phục hồi tóc keratin", 90, 790000, ["tóc"]),
    ("Sơn gel tay", 45, 150000, ["móng"]),
    ("Sơn gel chân", 45, 150000, ["móng"]),
    ("Đắp móng bột", 90, 350000, ["móng"]),
    ("Nối mi classic", 90, 300000, ["mi"]),
    ("Triệt lông nách công nghệ IPL", 30, 200000, ["triệt lông"]),
    ("Gói thư giãn cặp đôi 120 phút", 120, 1290000, ["cặp đôi", "thư giãn"]),
    ("Gói chăm sóc mẹ bầu", 90, 550000, ["mẹ bầu", "massage"]),
]


# Services paid partly ahead: the booking plugin's demo (plugins/booking_appointments/demo.py)
# asks this deposit when the package is booked, so its text must not say "pay at the spa".
SPA_PAID_AHEAD = {"Gói thư giãn cặp đôi 120 phút":
                  "đặt cọc 300.000₫ trước, phần còn lại thanh toán tại spa"}


def spa(key: str, category: str) -> list[dict]:
    listings = [
        _service(key, n, title, minutes, price,
                 f"{title} tại Lụa Spa, {minutes} phút với kỹ thuật viên có chứng chỉ. "
                 f"Đặt lịch online, {SPA_PAID_AHEAD.get(title, 'thanh toán tại spa')}; "
                 "đến sớm 10 phút để thay đồ.",
                 tags, category)
        for n, (title, minutes, price, tags) in enumerate(SPA, start=1)]
    n = len(SPA)
    listings.append(_voucher(
        key, n + 1, "Thẻ quà tặng Lụa Spa 500.000₫", category,
        "Dùng cho mọi dịch vụ tại Lụa Spa trong 180 ngày.", ["quà tặng"], price=500000,
        kind="amount", value=500000, valid_days=180))
    listings.append(_voucher(
        key, n + 2, "Thẻ quà tặng Lụa Spa 1.000.000₫ (ưu đãi 10%)", category,
        "Mua thẻ 1.000.000₫ chỉ với 900.000₫. Dùng trong 365 ngày.", ["quà tặng", "ưu đãi"],
        price=900000, kind="amount", value=1000000, valid_days=365))
    listings.append(_voucher(
        key, n + 3, "Giảm 15% dịch vụ từ thứ Ba đến thứ Năm", category,
        "Áp dụng cho khách đặt lịch từ thứ Ba đến thứ Năm, trước 16:00.",
        ["khuyến mãi", "ngày thường"], price=0, kind="percent", value=15,
        valid_from="2026-11-01", valid_until="2027-03-31"))
    return listings


# --- Giày Bước Xinh ------------------------------------------------------------------------------

WOMEN, MEN, ALL = ["36", "37", "38", "39", "40"], ["39", "40", "41", "42", "43"], \
    ["37", "38", "39", "40", "41", "42"]
KIDS, BABY = ["28", "30", "32", "34"], ["18", "19", "20", "21"]
SHOES = [  # (title, sizes, colours, price, tags)
    ("Giày sneaker da trơn", ALL, ["Trắng", "Đen"], 690000, ["sneaker"]),
    ("Giày sneaker đế bánh mì", WOMEN, ["Trắng", "Kem"], 590000, ["sneaker"]),
    ("Giày sneaker canvas cổ thấp", ALL, ["Trắng", "Đen"], 390000, ["sneaker", "canvas"]),
    ("Giày sneaker canvas cổ cao", ALL, ["Đen", "Đỏ đô"], 450000, ["sneaker", "canvas"]),
    ("Giày chạy bộ siêu nhẹ", ALL, ["Xám", "Xanh dương"], 890000, ["thể thao", "chạy bộ"]),
    ("Giày chạy bộ đệm khí", MEN, ["Đen", "Trắng"], 1190000, ["thể thao", "chạy bộ"]),
    ("Giày thể thao chunky", WOMEN, ["Trắng", "Hồng"], 750000, ["sneaker"]),
    ("Giày slip-on vải", ALL, ["Đen", "Caro"], 350000, ["slip-on"]),
    ("Giày cao gót mũi nhọn 7cm", WOMEN, ["Đen", "Nude"], 650000, ["cao gót", "công sở"]),
    ("Giày cao gót quai mảnh 5cm", WOMEN, ["Bạc", "Đen"], 590000, ["cao gót", "dự tiệc"]),
    ("Giày búp bê mũi tròn", WOMEN, ["Kem", "Đen"], 450000, ["búp bê", "công sở"]),
    ("Giày mules da lộn", WOMEN, ["Nâu", "Be"], 520000, ["mules"]),
    ("Giày đế xuồng cói", WOMEN, ["Be", "Đen"], 490000, ["đế xuồng", "đi biển"]),
    ("Sandal quai ngang", WOMEN, ["Đen", "Trắng"], 290000, ["sandal"]),
    ("Sandal đế bệt đan dây", WOMEN, ["Nâu", "Be"], 350000, ["sandal"]),
    ("Dép lê quai bản", ALL, ["Đen", "Xanh rêu"], 190000, ["dép"]),
    ("Giày Mary Jane da bóng", WOMEN, ["Đen", "Đỏ"], 620000, ["búp bê"]),
    ("Boots cổ ngắn gót vuông", WOMEN, ["Đen", "Nâu"], 990000, ["boots", "thu đông"]),
    ("Giày tây Oxford da bò", MEN, ["Đen", "Nâu"], 1290000, ["giày tây", "công sở"]),
    ("Giày tây Derby da bò", MEN, ["Đen", "Nâu"], 1190000, ["giày tây", "công sở"]),
    ("Giày lười penny loafer", MEN, ["Nâu", "Đen"], 990000, ["giày lười"]),
    ("Giày lười da lộn", MEN, ["Xanh navy", "Nâu"], 890000, ["giày lười"]),
    ("Giày Chelsea boots da bò", MEN, ["Đen", "Nâu"], 1490000, ["boots"]),
    ("Giày da công sở đế cao su", MEN, ["Đen"], 790000, ["giày tây", "công sở"]),
    ("Sandal nam quai dán", MEN, ["Đen", "Xám"], 390000, ["sandal"]),
    ("Dép da nam quai chéo", MEN, ["Nâu", "Đen"], 450000, ["dép"]),
    ("Giày thể thao trẻ em có đèn", KIDS, ["Hồng", "Xanh dương"], 390000, ["trẻ em"]),
    ("Sandal trẻ em quai dán", KIDS, ["Vàng", "Xanh lá"], 250000, ["trẻ em", "sandal"]),
    ("Giày tập đi cho bé", BABY, ["Trắng", "Hồng"], 290000, ["trẻ em"]),
]


def shoes(key: str, category: str) -> list[dict]:
    listings = []
    for n, (title, sizes, colours, price, tags) in enumerate(SHOES, start=1):
        description = (f"{title} Bước Xinh, đế êm, bảo hành keo chỉ 6 tháng.\n"
                       "Đặt online, thử tại cửa hàng; thành viên tích điểm bằng số điện thoại.")
        listings.append(_product(key, n, title, category, description, tags,
                                 {"Cỡ": sizes, "Màu": colours}, price,
                                 compare_ratio=1.3 if n % 6 == 0 else None))
    n = len(SHOES)
    listings.append(_product(key, n + 1, "Lót giày silicon êm chân", category,
                             "Giảm mỏi chân khi đứng lâu.", ["phụ kiện"],
                             {"Cỡ": ["S (35-38)", "M (39-41)", "L (42-44)"]}, 120000))
    listings.append(_product(key, n + 2, "Xi đánh giày không màu", category,
                             "Làm sạch và bóng mọi màu da.", ["phụ kiện"], {}, 65000))
    listings.append(_product(key, n + 3, "Tất cổ ngắn combo 5 đôi", category,
                             "Cotton thoáng khí, khử mùi.", ["phụ kiện"],
                             {"Màu": ["Trắng", "Đen", "Xám"]}, 99000))
    listings.append(_voucher(
        key, n + 4, "Thành viên Bước Xinh: giảm 10% tại cửa hàng", category,
        "Đọc số điện thoại thành viên tại quầy để được giảm 10% và tích điểm.",
        ["thành viên", "chỉ tại cửa hàng"], price=0, kind="percent", value=10, valid_days=30))
    return listings


# --- Thể Thao Năng Động --------------------------------------------------------------------------

SPORTS = [  # (title, options, price, surcharges, tags)
    ("Áo thun thể thao Dri-Fit", {"Kích cỡ": list(SIZES), "Màu": ["Đen", "Xanh dương"]},
     249000, {}, ["chạy bộ", "gym"]),
    ("Quần short chạy bộ 2 lớp", {"Kích cỡ": list(SIZES), "Màu": ["Đen", "Xám"]},
     279000, {}, ["chạy bộ"]),
    ("Quần legging tập gym lưng cao", {"Kích cỡ": ["S", "M", "L"], "Màu": ["Đen", "Nâu"]},
     329000, {}, ["gym", "yoga"]),
    ("Áo bra thể thao nâng đỡ vừa", {"Kích cỡ": ["S", "M", "L"], "Màu": ["Đen", "Hồng"]},
     259000, {}, ["gym", "yoga"]),
    ("Áo khoác gió chạy bộ siêu nhẹ", {"Kích cỡ": list(SIZES), "Màu": ["Cam", "Đen"]},
     459000, {}, ["chạy bộ"]),
    ("Bộ quần áo bóng đá thoáng khí", {"Kích cỡ": list(SIZES), "Màu": ["Đỏ", "Xanh lá"]},
     199000, {}, ["bóng đá"]),
    ("Giày đá bóng sân cỏ nhân tạo", {"Cỡ": ["39", "40", "41", "42", "43"],
                                      "Màu": ["Trắng", "Cam"]},
     690000, {}, ["bóng đá", "giày"]),
    ("Giày cầu lông chống trơn", {"Cỡ": ["38", "39", "40", "41", "42"]}, 890000, {},
     ["cầu lông", "giày"]),
    ("Giày chạy trail bám đường", {"Cỡ": ["39", "40", "41", "42", "43"]}, 1390000, {},
     ["chạy bộ", "giày"]),
    ("Vợt cầu lông carbon", {"Trọng lượng": ["3U", "4U"]}, 1290000, {"3U": 100000},
     ["cầu lông"]),
    ("Quả cầu lông lông vũ hộp 12 quả", {}, 265000, {}, ["cầu lông"]),
    ("Vợt pickleball sợi carbon", {"Màu": ["Xanh", "Đỏ"]}, 1590000, {}, ["pickleball"]),
    ("Bóng pickleball ngoài trời hộp 3 quả", {}, 150000, {}, ["pickleball"]),
    ("Bóng đá số 5 khâu máy", {}, 350000, {}, ["bóng đá"]),
    ("Bóng rổ số 7 da PU", {}, 490000, {}, ["bóng rổ"]),
    ("Thảm tập yoga TPE 6mm", {"Màu": ["Tím", "Xanh ngọc", "Hồng"]}, 320000, {}, ["yoga"]),
    ("Tạ tay bọc cao su", {"Trọng lượng": ["2kg", "3kg", "5kg"]}, 120000,
     {"3kg": 60000, "5kg": 160000}, ["gym"]),
    ("Dây nhảy có bộ đếm", {}, 129000, {}, ["gym"]),
    ("Bình nước thể thao 750ml", {"Màu": ["Đen", "Xanh", "Trắng"]}, 149000, {},
     ["phụ kiện"]),
    ("Balo thể thao 25L chống nước", {"Màu": ["Đen", "Xám"]}, 590000, {}, ["phụ kiện"]),
    ("Găng tay tập gym", {"Kích cỡ": ["S", "M", "L"]}, 159000, {}, ["gym"]),
    ("Kính bơi chống sương", {"Màu": ["Đen", "Xanh"]}, 219000, {}, ["bơi lội"]),
    ("Con lăn massage foam roller", {}, 249000, {}, ["phục hồi"]),
    ("Băng đô thấm mồ hôi", {"Màu": ["Trắng", "Đen"]}, 69000, {}, ["phụ kiện"]),
]


def sports(key: str, category: str) -> list[dict]:
    listings = []
    for n, (title, options, price, surcharge, tags) in enumerate(SPORTS, start=1):
        description = (f"{title} tại Năng Động. Đặt online, thử tại cửa hàng: không vừa thì "
                       "không phải mua.")
        listings.append(_product(key, n, title, category, description, tags, options, price,
                                 surcharge=surcharge,
                                 compare_ratio=1.2 if n % 5 == 0 else None))
    listings.append(_voucher(
        key, len(SPORTS) + 1, "Phiếu giảm 100.000₫ cho đơn từ 1.000.000₫", category,
        "Dùng tại cửa hàng hoặc khi đặt online nhận tại cửa hàng.", ["khuyến mãi"],
        price=0, kind="amount", value=100000, valid_days=60))
    return listings


BUILDERS = {"fashion": fashion, "electronics": electronics, "food-drink": coffee,
            "beauty-spa": spa, "shoes": shoes, "sports": sports}


def listings_for(shop_key: str, category: str) -> list[dict]:
    """The listing data for one demo shop, in a stable order."""
    return BUILDERS[category](shop_key, category)
