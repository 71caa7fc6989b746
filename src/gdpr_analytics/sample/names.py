"""Belgian reference lists for the sample generator: names, streets, municipalities, e-mail domains.

Small lookup tables only; `sample.py` loads them into DuckDB and joins the generated rows to them.
Languages: `nl` (Dutch), `fr` (French), `xx` (names common in Brussels and the larger cities whatever
the language of the address). Weights are rough shares, not statistics.
"""

from __future__ import annotations

# --- first names: (language, gender, name) -------------------------------------------------------

_FIRST = {
    ("nl", "F"): """Emma Louise Marie Olivia Elena Noor Mila Lina Julie Sarah Lotte Ella Anna Fien Liv
        Nina Lore Hanne Eline Lien Sofie An Els Katrien Griet Veerle Inge Annelies Leen Ilse Kristel
        Charlotte Femke Jolien Margot Hilde Martine Godelieve Maria Mieke Rita Zoë Febe Jana Silke Elise""",
    ("nl", "M"): """Noah Liam Lucas Arthur Louis Jules Finn Mats Lars Wout Jan Pieter Tom Bart Koen Wim
        Stijn Jef Jens Thomas Senne Robbe Kobe Seppe Ruben Dries Jonas Maarten Geert Luc Marc Dirk Johan
        Patrick Frank Kris Joris Bram Willem Staf Gert-Jan Michiel Toon Warre""",
    ("fr", "F"): """Louise Alice Chloé Léa Camille Manon Juliette Zoé Inès Lucie Clara Charlotte Marie
        Sophie Isabelle Nathalie Catherine Véronique Anne Françoise Monique Christine Sylvie Valérie
        Aurélie Céline Élise Hélène Margaux Pauline Amélie Noémie Mélanie Géraldine Anne-Sophie Maëlle""",
    ("fr", "M"): """Louis Gabriel Arthur Jules Victor Hugo Nathan Adrien Théo Maxime Antoine Julien Nicolas
        Thomas Philippe Jean Pierre Michel Alain Christophe Olivier Benoît François Frédéric Jérôme
        Laurent Pascal Quentin Romain Sébastien Cédric Grégory Didier Thierry Raphaël Léon Noé
        Jean-Marc Jean-Pierre""",
    ("xx", "F"): """Fatima Amina Sara Yasmine Salma Ayşe Aya Ana Meryem Khadija Zeynep Agnieszka Ioana
        Giulia Carmen""",
    ("xx", "M"): """Mohamed Yassine Adam Ayoub Ilyas Mehdi Youssef Emre Ali Hamza Bilal Piotr Andrei
        Marco Diego""",
}
#: Given names used by people who register with gender X (any language).
_NEUTRAL = "Sam Robin Charlie Alex Dominique Lou Camille Jo Kim Sacha Eden Noa Jules Maxime"

FIRST_NAMES: list[tuple[str, str, str]] = [
    (lang, gender, name) for (lang, gender), names in _FIRST.items() for name in names.split()
] + [(lang, "X", name) for lang in ("nl", "fr", "xx") for name in _NEUTRAL.split()]

# --- last names: (language, name) ----------------------------------------------------------------

_LAST = {
    "nl": [
        "Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens", "Wouters",
        "De Smet", "Vermeulen", "Van den Broeck", "De Clercq", "Pauwels", "Hermans", "Aerts",
        "Michiels", "Desmet", "Van Damme", "De Backer", "Claeys", "Coppens", "Stevens", "Verstraete",
        "Van de Velde", "De Vos", "Smets", "Vandenberghe", "Declercq", "Martens", "Lemmens", "Segers",
        "Vercammen", "De Wilde", "Van Acker", "Verhoeven", "D'Hondt", "Van Hoof", "Cools", "Bogaerts",
        "Thys", "Vanderstraeten", "Wuyts", "De Meyer", "Van Hecke", "Heylen", "Dierckx", "Timmermans",
        "Van Praet", "Nijs", "Verbruggen", "Geerts", "Van Looy", "De Coninck", "Vandamme", "Boonen",
    ],
    "fr": [
        "Dubois", "Lambert", "Dupont", "Martin", "Simon", "Laurent", "Leclercq", "Dumont", "Renard",
        "Leroy", "Lejeune", "François", "Collignon", "Denis", "Lemaire", "Mathieu", "Gilson",
        "Jacquet", "Henry", "Hubert", "Bertrand", "Marchal", "Noël", "Thiry", "Pirard", "Gérard",
        "Lecomte", "Delvaux", "Dethier", "Wathelet", "Goffin", "Cornet", "Lefèvre", "Fontaine",
        "Close", "Piron", "Delhaye", "Collard", "Hennebert", "Delcourt", "Dewez", "Maréchal",
        "Remacle", "Baudoux", "Mignon", "De Coster", "Degrelle", "Lefebvre", "Charlier", "Massart",
    ],
    "xx": [
        "El Amrani", "Benali", "Yilmaz", "Kaya", "Bouzid", "Haddad", "Nowak", "Kowalski", "Popescu",
        "Rossi", "Garcia", "Da Silva", "El Idrissi", "Aydın", "Öztürk", "Ben Salah", "Ferreira",
        "Esposito", "Lopez", "Diallo",
    ],
}
LAST_NAMES: list[tuple[str, str]] = [(lang, name) for lang, names in _LAST.items() for name in names]

# --- streets: (language, name) -------------------------------------------------------------------

_STREETS = {
    "nl": [
        "Kerkstraat", "Stationsstraat", "Dorpsstraat", "Molenstraat", "Nieuwstraat", "Schoolstraat",
        "Kapelstraat", "Beekstraat", "Veldstraat", "Hoogstraat", "Brugstraat", "Lindenlaan",
        "Kastanjelaan", "Kortrijksesteenweg", "Gentsesteenweg", "Antwerpsesteenweg",
        "Leuvensesteenweg", "Koning Albertlaan", "Koningin Astridlaan", "Sint-Jansstraat",
        "Vrijheidstraat", "Tiensestraat", "Lange Leemstraat", "Diestsestraat", "Bredabaan",
        "Turnhoutsebaan", "Zandstraat", "Heidestraat", "Bosstraat", "Pastorijstraat", "Markt",
        "Groenstraat", "Wilgenstraat", "Prins Boudewijnlaan", "Sint-Pietersnieuwstraat",
    ],
    "fr": [
        "Rue de la Station", "Rue de l'Église", "Rue du Moulin", "Chaussée de Bruxelles",
        "Avenue Louise", "Rue Haute", "Rue Neuve", "Place du Marché", "Rue des Écoles",
        "Avenue de la Gare", "Rue Saint-Gilles", "Boulevard d'Avroy", "Rue Grande", "Rue du Centre",
        "Chaussée de Louvain", "Rue Royale", "Avenue des Tilleuls", "Rue du Château",
        "Rue Émile Vandervelde", "Rue de Namur", "Chaussée d'Ixelles", "Rue des Carmes",
        "Rue de Fer", "Avenue Albert Ier", "Rue de la Montagne", "Rue des Champs",
        "Rue du Pont", "Place Saint-Lambert", "Avenue de Tervueren", "Rue Pierreuse",
    ],
}
STREETS: list[tuple[str, str]] = [(lang, s) for lang, names in _STREETS.items() for s in names]

# --- municipalities ------------------------------------------------------------------------------
# (country, postal_code, name in Dutch, name in French, region, phone zone, weight)
# region: VL Flanders, WA Wallonia, BX Brussels, or the country code abroad.
# phone zone: the Belgian trunk code without 0 (2 Brussels, 3 Antwerpen, 9 Gent, 4 Liège, 81 Namur...).

MUNICIPALITIES: list[tuple[str, str, str, str, str, str, int]] = [
    ("BE", "1000", "Brussel", "Bruxelles", "BX", "2", 180),
    ("BE", "1030", "Schaarbeek", "Schaerbeek", "BX", "2", 130),
    ("BE", "1070", "Anderlecht", "Anderlecht", "BX", "2", 120),
    ("BE", "1050", "Elsene", "Ixelles", "BX", "2", 87),
    ("BE", "1080", "Sint-Jans-Molenbeek", "Molenbeek-Saint-Jean", "BX", "2", 97),
    ("BE", "1180", "Ukkel", "Uccle", "BX", "2", 83),
    ("BE", "1040", "Etterbeek", "Etterbeek", "BX", "2", 48),
    ("BE", "1200", "Sint-Lambrechts-Woluwe", "Woluwe-Saint-Lambert", "BX", "2", 58),
    ("BE", "1190", "Vorst", "Forest", "BX", "2", 56),
    ("BE", "1090", "Jette", "Jette", "BX", "2", 52),
    ("BE", "2000", "Antwerpen", "Anvers", "VL", "3", 330),
    ("BE", "2018", "Antwerpen", "Anvers", "VL", "3", 200),
    ("BE", "2600", "Berchem", "Berchem", "VL", "3", 45),
    ("BE", "9000", "Gent", "Gand", "VL", "9", 265),
    ("BE", "8000", "Brugge", "Bruges", "VL", "50", 119),
    ("BE", "3000", "Leuven", "Louvain", "VL", "16", 102),
    ("BE", "2800", "Mechelen", "Malines", "VL", "15", 87),
    ("BE", "9300", "Aalst", "Alost", "VL", "53", 88),
    ("BE", "8500", "Kortrijk", "Courtrai", "VL", "56", 78),
    ("BE", "3500", "Hasselt", "Hasselt", "VL", "11", 80),
    ("BE", "9100", "Sint-Niklaas", "Saint-Nicolas", "VL", "3", 80),
    ("BE", "8400", "Oostende", "Ostende", "VL", "59", 72),
    ("BE", "3600", "Genk", "Genk", "VL", "89", 67),
    ("BE", "8800", "Roeselare", "Roulers", "VL", "51", 64),
    ("BE", "2300", "Turnhout", "Turnhout", "VL", "14", 45),
    ("BE", "9200", "Dendermonde", "Termonde", "VL", "52", 46),
    ("BE", "2500", "Lier", "Lierre", "VL", "3", 36),
    ("BE", "2440", "Geel", "Geel", "VL", "14", 41),
    ("BE", "1800", "Vilvoorde", "Vilvorde", "VL", "2", 45),
    ("BE", "8900", "Ieper", "Ypres", "VL", "57", 35),
    ("BE", "3300", "Tienen", "Tirlemont", "VL", "16", 35),
    ("BE", "9120", "Beveren", "Beveren", "VL", "3", 48),
    ("BE", "1500", "Halle", "Hal", "VL", "2", 40),
    ("BE", "1930", "Zaventem", "Saventhem", "VL", "2", 34),
    ("BE", "8790", "Waregem", "Waregem", "VL", "56", 38),
    ("BE", "4000", "Luik", "Liège", "WA", "4", 197),
    ("BE", "6000", "Charleroi", "Charleroi", "WA", "71", 202),
    ("BE", "5000", "Namen", "Namur", "WA", "81", 112),
    ("BE", "7000", "Bergen", "Mons", "WA", "65", 95),
    ("BE", "7100", "La Louvière", "La Louvière", "WA", "64", 81),
    ("BE", "7500", "Doornik", "Tournai", "WA", "69", 69),
    ("BE", "4100", "Seraing", "Seraing", "WA", "4", 64),
    ("BE", "4800", "Verviers", "Verviers", "WA", "87", 55),
    ("BE", "7700", "Moeskroen", "Mouscron", "WA", "56", 58),
    ("BE", "1300", "Waver", "Wavre", "WA", "10", 34),
    ("BE", "1348", "Ottignies-Louvain-la-Neuve", "Ottignies-Louvain-la-Neuve", "WA", "10", 32),
    ("BE", "6700", "Aarlen", "Arlon", "WA", "63", 30),
    ("BE", "1420", "Eigenbrakel", "Braine-l'Alleud", "WA", "2", 40),
    ("BE", "1400", "Nijvel", "Nivelles", "WA", "67", 28),
    ("BE", "1410", "Waterloo", "Waterloo", "WA", "2", 30),
    ("BE", "4500", "Hoei", "Huy", "WA", "85", 21),
    ("BE", "6900", "Marche-en-Famenne", "Marche-en-Famenne", "WA", "84", 18),
    ("NL", "6211", "Maastricht", "Maastricht", "NL", "43", 12),
    ("FR", "59000", "Rijsel", "Lille", "FR", "3", 12),
    ("LU", "L-1111", "Luxemburg", "Luxembourg", "LU", "", 8),
]

#: Language mix of customers by region: (region, language, weight).
LANGUAGE_MIX: list[tuple[str, str, int]] = [
    ("VL", "nl", 94), ("VL", "fr", 3), ("VL", "xx", 3),
    ("WA", "fr", 95), ("WA", "nl", 2), ("WA", "xx", 3),
    ("BX", "fr", 62), ("BX", "nl", 14), ("BX", "xx", 24),
    ("NL", "nl", 100),
    ("FR", "fr", 100),
    ("LU", "fr", 100),
]

#: Consumer e-mail providers: (domain, weight).
EMAIL_DOMAINS: list[tuple[str, int]] = [
    ("gmail.com", 32), ("hotmail.com", 12), ("telenet.be", 11), ("outlook.com", 7), ("skynet.be", 6),
    ("icloud.com", 6), ("proximus.be", 4), ("live.be", 4), ("yahoo.fr", 3), ("hotmail.be", 3),
    ("outlook.be", 3), ("yahoo.com", 2), ("gmx.com", 2), ("scarlet.be", 2), ("msn.com", 1),
]

#: Trades of MyStamp Pro customers, used to build their company e-mail domain.
TRADES: list[str] = [
    "bakkerij", "drukwerk", "fotografie", "immo", "consult", "design", "events", "boulangerie",
    "photo", "imprimerie", "notaris", "architecten", "traiteur", "garage", "apotheek", "pharmacie",
    "kapsalon", "fleuriste", "bloemen", "asbl", "vzw", "advocaten", "horeca", "brasserie",
]
