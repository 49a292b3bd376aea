"""The fictional Maison Lumière network: one head office, three regions, fourteen stores."""

HQ = {
    "code": "ML-HQ",
    "name": "Maison Lumière HQ",
    "kind": "headquarters",
    "address_line_1": "12 rue des Lanternes",
    "city": "Paris",
    "postal_code": "75003",
    "country": "France",
    "phone": "+33 1 42 00 00 00",
    "email": "contact@maison-lumiere.example",
    "website": "https://maison-lumiere.example",
    "sender_name": "Maison Lumière",
    "sender_email": "news@maison-lumiere.example",
    "reply_to": "contact@maison-lumiere.example",
    "locale": "fr",
    "timezone": "Europe/Paris",
    "opening_hours": "Mon–Fri 09:00–18:00",
}

REGIONS = [
    {
        "code": "ML-FR",
        "name": "France",
        "kind": "region",
        "city": "Lyon",
        "country": "France",
        "locale": "fr",
        "timezone": "Europe/Paris",
        "sender_name": "Maison Lumière France",
        "sender_email": "france@maison-lumiere.example",
        "stores": [
            ("ML-001", "Lyon Presqu'île", "24 rue de la République", "Lyon", "69002",
             "+33 4 78 00 00 01", "Claire Dubois", "Mon–Sat 10:00–19:00"),
            ("ML-002", "Bordeaux Chartrons", "8 quai des Chartrons", "Bordeaux", "33000",
             "+33 5 56 00 00 02", "Julien Marchand", "Tue–Sat 10:00–19:00"),
            ("ML-003", "Lille Vieux-Lille", "3 rue de la Monnaie", "Lille", "59800",
             "+33 3 20 00 00 03", "Sophie Lefèvre", "Mon–Sat 10:00–19:30"),
            ("ML-004", "Marseille Vieux-Port", "15 quai du Port", "Marseille", "13002",
             "+33 4 91 00 00 04", "Karim Benali", "Mon–Sun 10:00–20:00"),
            ("ML-005", "Nantes Graslin", "2 place Graslin", "Nantes", "44000",
             "+33 2 40 00 00 05", "Anne Le Goff", "Mon–Sat 10:00–19:00"),
        ],
        "store_locale": "fr",
        "store_timezone": "Europe/Paris",
        "country_name": "France",
    },
    {
        "code": "ML-CA",
        "name": "Canada",
        "kind": "region",
        "city": "Montréal",
        "country": "Canada",
        "locale": "fr-CA",
        "timezone": "America/Toronto",
        "sender_name": "Maison Lumière Canada",
        "sender_email": "canada@maison-lumiere.example",
        "stores": [
            ("ML-101", "Montréal Plateau", "4120 boulevard Saint-Laurent", "Montréal", "H2W 1Y8",
             "+1 514 555 0101", "Émilie Tremblay", "Mon–Sat 10:00–18:00, Sun 12:00–17:00"),
            ("ML-102", "Québec Vieux-Québec", "55 rue Saint-Jean", "Québec", "G1R 1N4",
             "+1 418 555 0102", "Marc Gagnon", "Mon–Sun 10:00–18:00"),
            ("ML-103", "Toronto Queen West", "780 Queen St W", "Toronto", "M6J 1E9",
             "+1 416 555 0103", "Priya Singh", "Mon–Sun 11:00–19:00"),
            ("ML-104", "Vancouver Gastown", "12 Water St", "Vancouver", "V6B 1A4",
             "+1 604 555 0104", "Liam Chen", "Mon–Sun 10:00–18:00"),
            ("ML-105", "Halifax Waterfront", "1869 Upper Water St", "Halifax", "B3J 1S9",
             "+1 902 555 0105", "Sarah MacDonald", "Mon–Sat 10:00–18:00"),
        ],
        "store_locales": {"ML-101": "fr-CA", "ML-102": "fr-CA"},
        "store_locale": "en-CA",
        "store_timezones": {
            "ML-104": "America/Vancouver",
            "ML-105": "America/Halifax",
        },
        "store_timezone": "America/Toronto",
        "country_name": "Canada",
    },
    {
        "code": "ML-UK",
        "name": "UK & Ireland",
        "kind": "region",
        "city": "London",
        "country": "United Kingdom",
        "locale": "en-GB",
        "timezone": "Europe/London",
        "sender_name": "Maison Lumière UK & Ireland",
        "sender_email": "uk@maison-lumiere.example",
        "stores": [
            ("ML-201", "London Marylebone", "41 Marylebone High St", "London", "W1U 5HD",
             "+44 20 7946 0201", "Olivia Hughes", "Mon–Sat 10:00–19:00, Sun 12:00–18:00"),
            ("ML-202", "Edinburgh Stockbridge", "9 Raeburn Pl", "Edinburgh", "EH4 1HU",
             "+44 131 496 0202", "Callum Fraser", "Mon–Sat 09:30–17:30"),
            ("ML-203", "Manchester Northern Quarter", "27 Oldham St", "Manchester", "M1 1JG",
             "+44 161 496 0203", "Aisha Khan", "Mon–Sun 10:00–18:00"),
            ("ML-204", "Dublin Temple Bar", "6 Fleet St", "Dublin", "D02 X285",
             "+353 1 555 0204", "Niamh O'Brien", "Mon–Sun 10:00–19:00"),
        ],
        "store_locale": "en-GB",
        "store_locales": {"ML-204": "en-IE"},
        "store_timezone": "Europe/London",
        "store_timezones": {"ML-204": "Europe/Dublin"},
        "country_name": "United Kingdom",
        "store_countries": {"ML-204": "Ireland"},
    },
]

PASSWORD = "distmark-demo"

#: (username, first name, last name, role, unit code)
USERS = [
    ("hq", "Hélène", "Roussel", "hq_admin", "ML-HQ"),
    ("regional", "Thomas", "Garnier", "regional_manager", "ML-FR"),
    ("manager", "Claire", "Dubois", "unit_manager", "ML-001"),
    ("editor", "Lucas", "Martin", "unit_editor", "ML-001"),
    ("manager2", "Olivia", "Hughes", "unit_manager", "ML-201"),
]


def store_profiles(region: dict):
    """Yield the profile dict of each store of ``region``."""
    for code, name, street, city, postal, phone, owner, hours in region["stores"]:
        slug = code.lower()
        yield {
            "code": code,
            "name": name,
            "kind": "unit",
            "address_line_1": street,
            "city": city,
            "postal_code": postal,
            "country": region.get("store_countries", {}).get(code, region["country_name"]),
            "phone": phone,
            "email": f"{slug}@maison-lumiere.example",
            "website": f"https://maison-lumiere.example/stores/{slug}",
            "sender_name": f"{owner} — {name}",
            "sender_email": f"{slug}@maison-lumiere.example",
            "reply_to": f"{slug}@maison-lumiere.example",
            "locale": region.get("store_locales", {}).get(code, region["store_locale"]),
            "timezone": region.get("store_timezones", {}).get(code, region["store_timezone"]),
            "opening_hours": hours,
        }


def region_profile(region: dict) -> dict:
    keys = ("code", "name", "kind", "city", "country", "locale", "timezone",
            "sender_name", "sender_email")
    return {key: region[key] for key in keys}
