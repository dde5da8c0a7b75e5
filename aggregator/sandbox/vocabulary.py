"""Words of the fictional countries (Spanish, English, French): places, organizations, items, procedures.

Everything is a tuple or a dict literal, read in a fixed order, so that generation is deterministic.
"""

from dataclasses import dataclass

PLACES: dict[str, tuple[str, ...]] = {
    "es": ("Valdoria", "San Aurelio", "Puerto Lumbre", "Costaverde", "Santa Irene", "Nueva Almira",
           "Cerro Alto", "Río Claro", "Villa Ocaso", "Las Brumas"),
    "en": ("Northhaven", "Eastmoor", "Kingsbridge", "Ashford Vale", "Westerby", "Harrowgate", "Longmere",
           "Dunmore", "Fairhollow", "Greyport"),
    "fr": ("Bellerive", "Saint-Aubin-sur-Lac", "Montclair", "Valfleury", "Port-Sauvage", "Rochebrune", "Beaulac",
           "Vernière", "Clairval", "Hautefort"),
}  # fmt: skip

NATIONAL_BODIES: dict[str, tuple[str, ...]] = {
    "es": ("Secretaría de Salud", "Secretaría de Educación Pública", "Secretaría de Infraestructura",
           "Secretaría de Hacienda", "Secretaría de Seguridad Ciudadana", "Secretaría de Medio Ambiente",
           "Secretaría de Agricultura", "Secretaría de Energía", "Secretaría de Cultura",
           "Instituto Aldorense del Seguro Social", "Comisión Nacional del Agua",
           "Instituto Nacional de Estadística", "Servicio de Administración Tributaria",
           "Instituto Nacional Electoral", "Guardia Nacional"),
    "en": ("Ministry of Health", "Department for Education", "Ministry of Defence", "Department for Transport",
           "Borealia Revenue and Customs", "Home Office", "Department for Environment", "Ministry of Justice",
           "Department for Work and Pensions", "Borealian Highways Agency", "National Health Supply Service",
           "Office for National Statistics", "Borealian Coastguard"),
    "fr": ("Ministère de la Santé", "Ministère de l'Éducation nationale", "Ministère des Armées",
           "Ministère de la Transition écologique", "Ministère de l'Intérieur", "Ministère de la Justice",
           "Ministère de la Culture", "Direction générale des Finances publiques", "Agence cadméenne des routes",
           "Institut national de la statistique", "Caisse nationale d'assurance maladie",
           "Météo-Cadmie"),
}  # fmt: skip

LOCAL_BODIES: dict[str, tuple[str, ...]] = {
    "es": ("Municipio de {place}", "Hospital General de {place}", "Universidad Autónoma de {place}",
           "Gobierno del Estado de {place}", "Organismo Operador de Agua de {place}"),
    "en": ("{place} County Council", "{place} Hospitals Trust", "University of {place}", "{place} Police",
           "{place} Water Board"),
    "fr": ("Commune de {place}", "Centre hospitalier de {place}", "Université de {place}",
           "Département de {place}", "Syndicat des eaux de {place}"),
}  # fmt: skip

CITY_DEPARTMENTS = (
    "Highways", "Housing", "Parks and Open Spaces", "Waste and Recycling", "Education", "Adult Social Care",
    "Children's Services", "Libraries", "Planning and Building Control", "Finance", "Digital and IT",
    "Environmental Health", "Transport", "Property and Facilities", "Legal Services", "Culture and Events",
    "Public Health", "Leisure Centres", "Registrars", "Trading Standards",
)  # fmt: skip
CITY_SCHOOLS = ("St Mary's", "Riverside", "Oak Hill", "Harbour View", "Westfield", "Kingsmead", "Abbey Road",
                "Millbrook", "Lantern Lane", "Castlegate")  # fmt: skip

SURNAMES: dict[str, tuple[str, ...]] = {
    "es": ("García", "Hernández", "López", "Martínez", "González", "Rodríguez", "Pérez", "Sánchez", "Ramírez",
           "Torres", "Flores", "Rivera", "Gómez", "Díaz", "Cruz", "Morales", "Reyes", "Gutiérrez", "Ortiz",
           "Castillo", "Olvera", "Mendoza", "Aguilar", "Vázquez", "Romero", "Herrera", "Medina", "Navarro"),
    "en": ("Hartley", "Moss", "Thornton", "Baxter", "Whitfield", "Caldwell", "Pemberton", "Ashworth", "Hughes",
           "Fletcher", "Lambert", "Mercer", "Oakes", "Radcliffe", "Sinclair", "Turner", "Walsh", "Ellison",
           "Garside", "Holloway", "Kendrick", "Lowther", "Maddox", "Norris", "Prescott", "Rowley", "Stanton"),
    "fr": ("Martin", "Bernard", "Dubois", "Durand", "Lefebvre", "Moreau", "Laurent", "Simon", "Michel",
           "Garnier", "Faure", "Rousseau", "Blanc", "Guérin", "Muller", "Henry", "Roussel", "Perrin", "Morin",
           "Mathieu", "Clément", "Gauthier", "Dumont", "Fontaine", "Chevalier", "Robin", "Masson"),
}  # fmt: skip

FIRST_NAMES: dict[str, tuple[str, ...]] = {
    "es": ("María", "José", "Juan", "Guadalupe", "Luis", "Ana", "Carlos", "Rosa", "Miguel", "Laura"),
    "en": ("James", "Olivia", "Thomas", "Emily", "George", "Sophie", "Harry", "Grace"),
    "fr": ("Jean", "Marie", "Pierre", "Claire", "Louis", "Camille", "Hugo", "Léa"),
}  # fmt: skip

BRANDS: dict[str, tuple[str, ...]] = {
    "es": ("Alfa", "Vértice", "Horizonte", "Cóndor", "Meridiano", "Aurora", "Omega", "Cumbre", "Litoral",
           "Pionero", "Delta", "Estrella", "Faro", "Roble", "Centinela"),
    "en": ("Northgate", "Silverline", "Bluewater", "Greystone", "Redbrook", "Oakfield", "Summit", "Keystone",
           "Pinnacle", "Harbour", "Meridian", "Beacon", "Crownfield", "Evergreen", "Lodestar"),
    "fr": ("Horizon", "Azur", "Atlantique", "Boréal", "Cristal", "Émeraude", "Étoile", "Orion", "Phare",
           "Alpin", "Vallée", "Lumière", "Sillon", "Cèdre", "Rivage"),
}  # fmt: skip

SECTORS: dict[str, tuple[str, ...]] = {
    "es": ("Distribuidora Médica", "Farmacéutica", "Constructora", "Comercializadora", "Servicios Integrales",
           "Tecnología", "Ingeniería", "Limpieza", "Seguridad Privada", "Alimentos", "Combustibles",
           "Papelera", "Mobiliario", "Transportes"),
    "en": ("Facilities", "Healthcare Supplies", "Construction", "Civil Engineering", "IT Solutions",
           "Security Services", "Cleaning Services", "Fuels", "Catering", "Office Supplies", "Consulting",
           "Medical", "Logistics", "Furniture"),
    "fr": ("Travaux Publics", "Fournitures Médicales", "Informatique", "Nettoyage", "Sécurité", "Restauration",
           "Bâtiment", "Ingénierie", "Pharmacie", "Carburants", "Mobilier", "Papeterie", "Conseil",
           "Transports"),
}  # fmt: skip

REGIONS = {"es": ("Norte", "Sur", "Centro", "Pacífico", "Golfo", "Altiplano")}

# Placeholders: {surname}, {surname2}, {first}, {brand}, {sector}, {place}, {region}.
SUPPLIER_PATTERNS: dict[str, tuple[str, ...]] = {
    "es": ("{sector} {brand} S.A. de C.V.", "{sector} {surname} S.A. de C.V.",
           "Grupo {brand} del {region} S.A. de C.V.", "{surname} {surname2} y Asociados S.C.",
           "{first} {surname} {surname2}", "Corporativo {brand} S. de R.L. de C.V."),
    "en": ("{surname} & {surname2} Ltd", "{brand} {sector} Ltd", "{brand} {sector} plc", "{surname} {sector} Ltd",
           "{place} {sector} LLP", "{surname} Group Ltd"),
    "fr": ("{surname} et Fils SARL", "{brand} {sector} SAS", "Établissements {surname}", "{surname} Frères SARL",
           "{sector} {surname} SA", "{surname}-{surname2} Associés SARL"),
}  # fmt: skip


@dataclass(frozen=True)
class ItemKind:
    """Something bought: its category, classifications, words, unit and price range (in USD)."""

    category: str  # "goods" | "services" | "works"
    cpv: tuple[str, str]  # (code, English description)
    unspsc: tuple[str, str]
    words: dict[str, str]  # language -> what is bought, as used in a title
    unit: tuple[str, dict[str, str]]  # (UN/CEFACT code, language -> unit name)
    price: tuple[float, float]
    quantity: tuple[int, int]


def _unit(code: str, es: str, en: str, fr: str) -> tuple[str, dict[str, str]]:
    return code, {"es": es, "en": en, "fr": fr}


PIECE = _unit("H87", "Pieza", "Piece", "Pièce")
MONTH = _unit("MON", "Mes", "Month", "Mois")
SERVICE = _unit("E48", "Servicio", "Service unit", "Prestation")

ITEM_KINDS: tuple[ItemKind, ...] = (
    ItemKind("goods", ("33600000", "Pharmaceutical products"), ("51000000", "Drugs and Pharmaceutical Products"),
             {"es": "medicamentos", "en": "pharmaceutical products", "fr": "médicaments"}, PIECE, (2, 80),
             (500, 20000)),
    ItemKind("goods", ("33140000", "Medical consumables"), ("42140000", "Patient care and treatment products"),
             {"es": "material de curación", "en": "medical consumables", "fr": "consommables médicaux"}, PIECE,
             (0.5, 40), (1000, 50000)),
    ItemKind("goods", ("30213000", "Personal computers"), ("43211500", "Computers"),
             {"es": "equipo de cómputo", "en": "personal computers", "fr": "ordinateurs personnels"}, PIECE,
             (500, 1800), (5, 300)),
    ItemKind("goods", ("30197630", "Printing paper"), ("14111500", "Printing and writing paper"),
             {"es": "papel para impresión", "en": "printing paper", "fr": "papier d'impression"},
             _unit("RM", "Resma", "Ream", "Rame"), (3, 7), (100, 5000)),
    ItemKind("goods", ("09134200", "Diesel fuel"), ("15101505", "Diesel fuel"),
             {"es": "combustible diésel", "en": "diesel fuel", "fr": "gazole"},
             _unit("LTR", "Litro", "Litre", "Litre"), (0.8, 1.6), (5000, 300000)),
    ItemKind("goods", ("15800000", "Miscellaneous food products"), ("50000000", "Food Beverage and Tobacco Products"),
             {"es": "víveres", "en": "food products", "fr": "denrées alimentaires"},
             _unit("KGM", "Kilogramo", "Kilogram", "Kilogramme"), (1, 8), (500, 50000)),
    ItemKind("goods", ("34110000", "Passenger cars"), ("25101500", "Passenger motor vehicles"),
             {"es": "vehículos", "en": "passenger vehicles", "fr": "véhicules de tourisme"}, PIECE,
             (15000, 45000), (1, 20)),
    ItemKind("goods", ("39130000", "Office furniture"), ("56101500", "Furniture"),
             {"es": "mobiliario de oficina", "en": "office furniture", "fr": "mobilier de bureau"}, PIECE,
             (80, 900), (5, 200)),
    ItemKind("services", ("90910000", "Cleaning services"), ("76111500", "General building and office cleaning"),
             {"es": "limpieza de inmuebles", "en": "cleaning services", "fr": "nettoyage des locaux"}, MONTH,
             (2000, 40000), (6, 36)),
    ItemKind("services", ("79710000", "Security services"), ("92121500", "Guard services"),
             {"es": "vigilancia", "en": "security services", "fr": "gardiennage"}, MONTH, (3000, 60000),
             (6, 36)),
    ItemKind("services", ("72267000", "Software maintenance services"), ("81112200", "Software maintenance"),
             {"es": "mantenimiento de software", "en": "software maintenance", "fr": "maintenance logicielle"},
             MONTH, (1000, 30000), (3, 24)),
    ItemKind("services", ("71300000", "Engineering services"), ("81101500", "Civil engineering"),
             {"es": "consultoría de ingeniería", "en": "engineering consultancy", "fr": "ingénierie"}, SERVICE,
             (20000, 400000), (1, 1)),
    ItemKind("works", ("45233140", "Roadworks"), ("72141000", "Highway and road construction services"),
             {"es": "rehabilitación de caminos", "en": "road resurfacing", "fr": "réfection de voirie"},
             _unit("KMT", "Kilómetro", "Kilometre", "Kilomètre"), (150000, 900000), (1, 30)),
    ItemKind("works", ("45210000", "Building construction work"), ("72120000", "Nonresidential building construction"),
             {"es": "construcción de edificio", "en": "building construction", "fr": "construction de bâtiment"},
             SERVICE, (200000, 5000000), (1, 1)),
    ItemKind("works", ("45232150", "Water-distribution pipeline works"), ("72141100", "Infrastructure building"),
             {"es": "red de agua potable", "en": "water main renewal", "fr": "réseau d'eau potable"},
             _unit("MTR", "Metro", "Metre", "Mètre"), (150, 900), (200, 8000)),
)  # fmt: skip

TITLE_TEMPLATES: dict[str, dict[str, str]] = {
    "goods": {"es": "Adquisición de {what}", "en": "Supply of {what}", "fr": "Fourniture de {what}"},
    "services": {"es": "Contratación del servicio de {what}", "en": "Provision of {what}",
                 "fr": "Prestation de {what}"},
    "works": {"es": "Obra de {what} en {place}", "en": "{What} works in {place}", "fr": "Travaux de {what} à {place}"},
}  # fmt: skip

# procurementMethod -> what the publisher calls it (several wordings for the same method, as in real data)
METHOD_DETAILS: dict[str, dict[str, tuple[str, ...]]] = {
    "es": {"open": ("Licitación Pública Nacional", "Licitación Pública Internacional"),
           "selective": ("Invitación a cuando menos tres personas",),
           "limited": ("Procedimiento de excepción",),
           "direct": ("Adjudicación Directa", "Adjudicación Directa por Monto")},
    "en": {"open": ("Open procedure",),
           "selective": ("Restricted procedure", "Competitive procedure with negotiation"),
           "limited": ("Negotiated procedure without prior publication",),
           "direct": ("Direct award", "Direct award below threshold")},
    "fr": {"open": ("Appel d'offres ouvert",),
           "selective": ("Appel d'offres restreint", "Procédure concurrentielle avec négociation"),
           "limited": ("Procédure négociée sans publicité ni mise en concurrence",),
           "direct": ("Marché de gré à gré", "Marché à procédure adaptée sans publicité")},
}  # fmt: skip

DIRECT_RATIONALES: dict[str, tuple[str, ...]] = {
    "es": ("Artículo 41, fracción III: caso fortuito o fuerza mayor", "Artículo 42: monto inferior al umbral",
           "Patente o derechos exclusivos"),
    "en": ("Extreme urgency", "Value below the advertising threshold", "Exclusive rights"),
    "fr": ("Urgence impérieuse", "Montant inférieur au seuil de publicité", "Droits d'exclusivité"),
}  # fmt: skip

PLANNING_RATIONALES: dict[str, str] = {
    "es": "Programa anual de adquisiciones {year}",
    "en": "Annual procurement plan {year}",
    "fr": "Programme prévisionnel des achats {year}",
}

AMENDMENT_RATIONALES: dict[str, dict[str, str]] = {
    "increase": {"es": "Ampliación del monto por trabajos adicionales", "en": "Additional works required",
                 "fr": "Travaux supplémentaires"},
    "decrease": {"es": "Reducción del alcance del contrato", "en": "Reduction in scope",
                 "fr": "Réduction du périmètre"},
}  # fmt: skip

CURRENCY_PER_USD: dict[str, float] = {"USD": 1.0, "MXN": 18.0, "GBP": 0.8, "EUR": 0.92}
