"""Common English given-name variants and the registered name each stands for.

Linkage compares the keyed token of the *canonical* first given name as well as the
exact one, so "Bill" agrees with "William" and "John Michael" with "John" without either
value being kept. Sources: common diminutives of English given names (e.g. the UK ONS
baby-name lists' frequent forms); a name missing here still compares by Bloom filter and
NYSIIS.
"""

from __future__ import annotations

_VARIANTS: dict[str, tuple[str, ...]] = {
    "WILLIAM": ("BILL", "BILLY", "WILL", "WILLIE", "LIAM"),
    "ELIZABETH": ("LIZ", "LIZZIE", "BETH", "BETTY", "ELIZA", "LIBBY", "BETSY"),
    "ROBERT": ("BOB", "BOBBY", "ROB", "ROBBIE", "BERT"),
    "MARGARET": ("MAGGIE", "MAG", "MEG", "PEGGY", "MADGE", "MAISIE"),
    "THOMAS": ("TOM", "TOMMY"),
    "JAMES": ("JIM", "JIMMY", "JAMIE"),
    "MICHAEL": ("MIKE", "MICK", "MICKY", "MIKEY"),
    "DANIEL": ("DAN", "DANNY"),
    "SUSAN": ("SUE", "SUSIE", "SUZY"),
    "STEPHEN": ("STEVE", "STEVIE"),
    "STEVEN": ("STEVE",),
    "CHRISTOPHER": ("CHRIS", "KIT"),
    "CHRISTINE": ("CHRIS", "CHRISSIE"),
    "JENNIFER": ("JENNY", "JEN"),
    "RICHARD": ("DICK", "RICH", "RICHIE", "RICKY"),
    "KATHERINE": ("KATE", "KATIE", "KATHY", "KAY", "KITTY"),
    "CATHERINE": ("CATH", "CATHY", "KATE", "KATIE", "CAT"),
    "ANTHONY": ("TONY", "ANT"),
    "JOSEPH": ("JOE", "JOEY"),
    "SAMUEL": ("SAM", "SAMMY"),
    "SAMANTHA": ("SAM", "SAMMY"),
    "ALEXANDER": ("ALEX", "ALEC", "SANDY"),
    "ALEXANDRA": ("ALEX", "LEXI", "SANDRA"),
    "REBECCA": ("BECKY", "BEX", "BECCA"),
    "VICTORIA": ("VICKY", "VICKI", "TORI"),
    "EDWARD": ("TED", "TEDDY", "ED", "EDDIE", "NED"),
    "PATRICIA": ("PAT", "PATSY", "TRISH", "TRICIA"),
    "PATRICK": ("PAT", "PADDY"),
    "DEBORAH": ("DEBBIE", "DEB", "DEBS"),
    "JACQUELINE": ("JACKIE", "JACQUI"),
    "BENJAMIN": ("BEN", "BENNY"),
    "MATTHEW": ("MATT", "MATTY"),
    "NICHOLAS": ("NICK", "NICKY"),
    "ANDREW": ("ANDY", "DREW"),
    "PETER": ("PETE",),
    "DAVID": ("DAVE", "DAVY"),
    "JOHN": ("JACK", "JOHNNY", "JON"),
    "JONATHAN": ("JON", "JONNY"),
    "CHARLES": ("CHARLIE", "CHAS", "CHUCK"),
    "CHARLOTTE": ("CHARLIE", "LOTTIE", "LOTTE"),
    "HENRY": ("HARRY", "HAL", "HANK"),
    "FREDERICK": ("FRED", "FREDDIE", "FREDDY"),
    "ALFRED": ("ALF", "ALFIE"),
    "ALBERT": ("BERT", "BERTIE", "AL"),
    "GERALD": ("GERRY",),
    "GEOFFREY": ("GEOFF",),
    "KENNETH": ("KEN", "KENNY"),
    "LEONARD": ("LEN", "LENNY", "LEO"),
    "RAYMOND": ("RAY",),
    "RONALD": ("RON", "RONNIE"),
    "DONALD": ("DON", "DONNIE"),
    "TIMOTHY": ("TIM", "TIMMY"),
    "PHILIP": ("PHIL",),
    "PHILLIP": ("PHIL",),
    "GREGORY": ("GREG",),
    "DOUGLAS": ("DOUG",),
    "NATHAN": ("NATE",),
    "NATHANIEL": ("NATE", "NAT"),
    "ZACHARY": ("ZACK", "ZAC"),
    "JOSHUA": ("JOSH",),
    "TERENCE": ("TERRY",),
    "LAWRENCE": ("LARRY", "LAURIE"),
    "BARBARA": ("BARB", "BABS"),
    "DOROTHY": ("DOT", "DOTTIE", "DOLLY"),
    "EMILY": ("EM", "EMMY", "MILLIE"),
    "EMMA": ("EM", "EMMIE"),
    "ABIGAIL": ("ABBY", "ABBIE", "GAIL"),
    "AMANDA": ("MANDY",),
    "JESSICA": ("JESS", "JESSIE"),
    "JOANNE": ("JO",),
    "JOSEPHINE": ("JO", "JOSIE"),
    "KIMBERLEY": ("KIM",),
    "LOUISE": ("LOU",),
    "NATALIE": ("NAT",),
    "NICOLA": ("NICKY", "NIKKI"),
    "PAMELA": ("PAM",),
    "SANDRA": ("SANDY",),
    "STEPHANIE": ("STEPH",),
    "THERESA": ("TESS", "TESSA", "TERRI"),
    "VALERIE": ("VAL",),
    "GILLIAN": ("GILL", "JILL"),
    "HELEN": ("NELL", "NELLIE"),
    "ELEANOR": ("ELLIE", "NELL", "NORA"),
    "ISABEL": ("IZZY", "BELLA"),
    "ISABELLA": ("IZZY", "BELLA"),
    "MARY": ("MOLLY", "POLLY", "MAY"),
    "SARAH": ("SALLY", "SADIE"),
    "ANNE": ("ANNIE", "NAN"),
    "ANN": ("ANNIE", "NAN"),
    "FRANCES": ("FRAN", "FRANNIE"),
    "FRANCIS": ("FRANK",),
    "GEORGINA": ("GEORGIE", "GINA"),
    "HARRIET": ("HATTIE",),
    "JULIE": ("JULES",),
    "LUCY": ("LU",),
    "MOHAMMED": ("MOHAMMAD", "MUHAMMAD", "MOHAMED", "MUHAMMED"),
}

# a variant shared by several names (CHRIS, PAT) maps to the first one listed above; the
# canonical token then agrees for either, which is the evidence wanted
CANONICAL: dict[str, str] = {}
for _name, _variants in _VARIANTS.items():
    for _v in _variants:
        CANONICAL.setdefault(_v, _name)


def canonical_first_name(normalised_words: list[str]) -> str | None:
    """The registered form of the first given name (``["BILL", "JOHN"]`` -> ``WILLIAM``)."""
    if not normalised_words:
        return None
    first = normalised_words[0]
    return CANONICAL.get(first, first)
