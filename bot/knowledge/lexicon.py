"""The built-in vocabulary of the stalking network: shorthand, misspellings, synonyms, subject."""

from __future__ import annotations


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words too common to say what a question is about. Question words are here too: "who applies
# for an SPO" and "can the police apply for an SPO" are the same question to a search engine.
STOP_WORDS = _word_set(
    """
    a about above after again against all am an and any are arent as at be because been before
    being below between both but by can cant could couldnt did didnt do does doesnt doing dont
    down during each few for from further get gets getting got had hadnt has hasnt have havent
    having he hed hell hes her here heres hers herself him himself his how hows i id ill im ive
    if in into is isnt it its itself just lets me more most my myself no nor not of off on once
    only or other ought our ours ourselves out over own same shant she shed shell shes should
    shouldnt so some such than that thats the their theirs them themselves then there theres
    these they theyd theyll theyre theyve this those through to too under until up very was
    wasnt we wed well were weve werent what whats when whens where wheres which while who whos
    whom why whys will with wont would wouldnt you youd youll youre youve your yours yourself
    yourselves also anyone someone somebody something anything thing things tell want wants
    wanted need needs please thanks thank cheers hi hello hey okay ok yes yeah really actually
    ask asking question quick just like one know many much still already again ever even bit stuff
    lot lots happen happens happened happening go goes going gone went come comes came say
    says said guys mate sarge anybody whether else etc eg ie never done doing skipper skip
    sergeant guv boss folks all hiya morning afternoon evening query actual simply basically
    confused confusing clarify wondering wonder cheers ta pls plz thx us always sort bits bit
    anyway someone somewhere sometimes someones usually usual normally generally typically
    explain explained explaining explanation
    """
)

# Shorthand, text-speak, misspellings and synonyms, mapped to the words the knowledge base uses.
# A value may be several words ("dv" -> "domestic abuse"); phrases below then match on them.
WORDS: dict[str, str] = {
    # text-speak
    "wot": "what", "wat": "what", "wht": "what", "wats": "what", "whatis": "what",
    "n": "and", "u": "you", "ur": "your", "r": "are", "y": "why", "pls": "please",
    "plz": "please", "cos": "because", "coz": "because", "cuz": "because", "bc": "because",
    "b4": "before", "thru": "through", "wen": "when", "hw": "how", "cud": "could",
    "cld": "could", "shud": "should", "shld": "should", "wud": "would", "abt": "about",
    "im": "i", "ive": "i", "ya": "you", "2day": "today", "tmrw": "tomorrow",
    "diff": "difference", "dif": "difference", "differnce": "difference",
    "info": "information", "docs": "documents", "doc": "document", "msg": "message",
    "msgs": "messages", "txt": "text", "txts": "texts", "txting": "texting", "pic": "picture",
    "pics": "pictures", "fb": "facebook", "insta": "instagram", "snap": "snapchat",
    "approx": "about", "yrs": "years", "yr": "year", "wk": "week", "wks": "weeks",
    "hrs": "hours", "mins": "minutes", "tel": "telephone", "num": "number",
    # common misspellings of the subject's own words
    "stalkin": "stalking", "stalkng": "stalking", "staking": "stalking", "stocking": "stalking",
    "stalkering": "stalking", "stalkers": "stalking perpetrators", "stalkerish": "stalking",
    "harrasment": "harassment", "harasment": "harassment", "harrassment": "harassment",
    "harassement": "harassment", "harrasement": "harassment", "harrassing": "harassing",
    "harrasing": "harassing", "harras": "harass", "harrass": "harass", "harrased": "harassed",
    "harrassed": "harassed", "sentance": "sentence",
    "sentense": "sentence", "sentnce": "sentence", "sentancing": "sentencing",
    "offense": "offence", "offenses": "offences", "defense": "defence", "licence": "license",
    "breech": "breach", "breeched": "breached", "breaching": "breaching",
    "victom": "victim", "vicitm": "victim", "victum": "victim", "perp": "perpetrator",
    "perps": "perpetrators", "restraning": "restraining", "restrainig": "restraining",
    "protetion": "protection", "protecton": "protection", "malicous": "malicious",
    "malicios": "malicious", "coersive": "coercive", "coercion": "coercive",
    "molestaion": "molestation", "evidance": "evidence", "evidense": "evidence",
    "arest": "arrest", "arested": "arrested", "charg": "charge", "advise": "advice",
    "advising": "advice", "advised": "advice", "adviser": "advisor", "advocat": "advocate",
    "recieve": "receive", "seperate": "separate", "seperated": "separated",
    "neccessary": "necessary", "neccesary": "necessary", "necesary": "necessary",
    # arrest, charge and sentence in an officer's words
    "nick": "arrest", "nicked": "arrested", "nicking": "arrest", "lift": "arrest",
    "lifted": "arrested", "lifting": "arrest", "collar": "arrest", "detain": "arrest",
    "max": "maximum", "maxium": "maximum", "maximun": "maximum",
    "penalty": "sentence", "penalties": "sentence", "punishment": "sentence",
    "imprisonment": "sentence", "jail": "sentence", "prison": "sentence", "tariff": "sentence",
    "sentences": "sentence", "sentenced": "sentence", "sentencing": "sentence",
    "cps": "cps", "prosecutor": "cps", "prosecutors": "cps", "mags": "magistrates",
    "magistrate": "magistrates", "magistrates": "magistrates", "magistrates'": "magistrates",
    # people in a case
    "ip": "victim", "ips": "victims", "vic": "victim", "vics": "victims",
    "complainant": "victim", "aggrieved": "victim", "sus": "suspect", "susp": "suspect",
    "suss": "suspect", "offender": "perpetrator", "offenders": "perpetrators",
    "stalker": "stalking perpetrator", "abuser": "perpetrator", "defendant": "perpetrator",
    "bf": "partner", "gf": "partner", "boyfriend": "partner", "girlfriend": "partner",
    "husband": "partner", "wife": "partner", "spouse": "partner", "oic": "officer",
    "ex": "expartner", "exes": "expartner", "expartner": "expartner",
    # the subject's own abbreviations, kept as one token each
    "spo": "spo", "spos": "spo", "ispo": "interim spo", "pha": "pha", "vrr": "vrr",
    "ro": "restrainingorder", "ros": "restrainingorder", "isac": "isac", "isacs": "isac",
    "idva": "idva", "idvas": "idva", "marac": "marac", "maracs": "marac", "mappa": "mappa",
    "hocr": "hocr", "dash": "dash", "sdash": "sdash", "vsdash": "sdash", "ric": "dash",
    "sash": "sash", "srp": "srp", "dara": "dara", "pin": "pin", "pins": "pin",
    "nmo": "nmo", "nmos": "nmo", "dapo": "dapo", "dapos": "dapo", "dapn": "dapo",
    "dvpo": "dvpo", "dvpn": "dvpo", "dvds": "dvds", "vps": "vps", "rtk": "righttoknow",
    "hmicfrs": "hmicfrs", "hmic": "hmicfrs", "hmcpsi": "hmcpsi", "npcc": "npcc",
    "iopc": "iopc", "dv": "domestic abuse", "da": "domestic abuse", "dva": "domestic abuse",
    "ccb": "coercive control", "malcomms": "malicious communications",
    "mcomms": "malicious communications", "rui": "released under investigation",
    "nfa": "no further action", "pnc": "pnc", "pnd": "pnd", "apps": "apps",
    # things and actions with several names
    "online": "cyber", "internet": "cyber", "cyberstalking": "cyber stalking",
    "cyberstalker": "cyber stalking", "cyberstalk": "cyber stalking", "airtag": "tracker",
    "airtags": "tracker", "gps": "tracker", "trackers": "tracker", "stalkerware": "spyware",
    "ring": "call", "ringing": "calling", "rang": "called", "phoned": "called",
    "email": "email", "emails": "email", "mobile": "phone", "cctv": "cctv",
    "helpline": "helpline", "hotline": "helpline", "charity": "charity",
    "foul": "four", "mnemonic": "four",
    "break": "breach", "breaks": "breach", "broke": "breach", "stats": "statistics",
    "murder": "homicide", "murders": "homicide",
    "murdered": "homicide", "killed": "homicide", "killing": "homicide",
    "acquit": "acquittal", "acquits": "acquittal", "acquitted": "acquittal",
    "acquittals": "acquittal", "guilty": "conviction", "convicted": "conviction",
    "juvenile": "youth", "juveniles": "youth", "teenager": "youth", "teenagers": "youth",
    "child": "youth", "children": "youth", "kid": "youth", "kids": "youth", "minor": "youth",
    "minors": "youth", "safe": "safety", "speak": "contact", "talk": "contact",
    "instagram": "social media", "facebook": "social media", "snapchat": "social media",
    "tiktok": "social media", "twitter": "social media", "whatsapp": "social media",
    "mischarging": "wrong charge", "mischarged": "wrong charge", "mischarge": "wrong charge",
    "undercharged": "wrong charge", "undercharging": "wrong charge", "complain": "complaint",
    "complained": "complaint", "complaints": "complaint", "fill": "complete",
    "basics": "overview", "intro": "overview", "introduction": "overview",
    "rundown": "overview", "lowdown": "overview", "jailed": "sentence", "bird": "sentence",
    "pts": "points", "pt": "point", "reqs": "requirements", "req": "requirement",
    "qs": "questions", "dept": "department", "min": "minimum",
    "dms": "messages", "dm": "message", "comms": "communications", "belfast": "northern ireland",
    "glasgow": "scotland", "edinburgh": "scotland", "nfad": "nfa", "nfaed": "nfa",
    "challenge": "review", "challenged": "review", "challenging": "review",
    "ni": "northern ireland", "norn": "northern ireland", "scot": "scotland",
    "cjla": "criminal justice licensing scotland act", "whack": "sentence",
    "mg11": "statement", "abe": "interview", "bwv": "body worn video", "ncrs": "hocr",
    "misper": "missing person", "mispers": "missing person", "dob": "date of birth",
    "s/o": "suspect", "obs": "observations", "tic": "taken into consideration",
    # the subject's concepts in an officer's other words
    "vcop": "victims code", "lesser": "alternative", "fallback": "alternative",
    "occasion": "incident", "occasions": "incident", "s127": "communications act",
    "mca": "malicious communications", "logbook": "diary", "ingredients": "elements",
    "ingredient": "elements", "prohibition": "conditions", "prohibitions": "conditions",
    "restriction": "conditions", "restrictions": "conditions", "temporary": "interim",
    "extend": "renew", "extension": "renew", "extended": "renew", "spoc": "champion",
    "realise": "oughttoknow", "realised": "oughttoknow", "realize": "oughttoknow",
    "realized": "oughttoknow", "aware": "oughttoknow", "unaware": "oughttoknow",
    "downgrade": "wrong charge", "downgraded": "wrong charge", "danger": "risk",
    "dangerous": "risk", "femicide": "homicide", "csew": "crime survey",
    "escalate": "escalation", "escalating": "escalation",
    "escalated": "escalation", "hate": "aggravated hostility",
    "inspector": "inspection", "inspectors": "inspection", "inspectorate": "inspection",
    "inspectorates": "inspection", "inspected": "inspection", "deadline": "time limit",
    "doubled": "increase", "double": "increase", "raised": "increase", "increased": "increase",
    "workplace": "work", "caseworkers": "caseworker", "advocates": "advocate",
    "advocacy": "advocate",
    "amend": "vary", "amended": "vary", "alter": "vary", "altered": "vary", "modify": "vary",
    "modified": "vary", "cancel": "discharge", "cancelled": "discharge", "revoke": "discharge",
    "revoked": "discharge", "sister": "family", "brother": "family", "mum": "family",
    "mother": "family", "dad": "family", "father": "family", "son": "family",
    "daughter": "family", "parents": "family", "relatives": "family", "relative": "family",
    "worst": "maximum", "toughest": "maximum", "harshest": "maximum", "highest": "maximum",
    "longest": "maximum", "heaviest": "maximum", "biggest": "maximum", "vs": "difference",
    "versus": "difference", "update": "progress", "updates": "progress",
    "crime": "offence", "crimes": "offence", "offences": "offence",
}  # fmt: skip

# Multi-word names, matched on stemmed words (stop words included), each becoming one token.
PHRASES: dict[str, str] = {
    "stalking protection order": "spo",
    "cheat sheet": "overview",
    "stalking protection orders": "spo",
    "stalking order": "spo",
    "stalking prevention order": "spo",
    "stalking protection act": "spa",
    "protection from harassment act": "pha",
    "protection from harassment": "pha",
    "harassment act": "pha",
    "victims right to review": "vrr review",
    "victim right to review": "vrr review",
    "right to review": "vrr review",
    "independent stalking advocacy caseworker": "isac advocate caseworker",
    "independent stalking advocate": "isac advocate",
    "stalking advocacy caseworker": "isac advocate caseworker",
    "stalking advocate": "isac advocate",
    "stalking advocacy": "isac advocate",
    "independent domestic violence advisor": "idva",
    "independent domestic violence advocate": "idva",
    "multi agency risk assessment conference": "marac",
    "crown prosecution service": "cps",
    "home office counting rules": "hocr counting",
    "counting rules": "hocr counting",
    "crime recording": "hocr record",
    "restraining order": "restrainingorder",
    "non molestation order": "nmo",
    "domestic abuse protection order": "dapo",
    "domestic violence protection order": "dvpo",
    "domestic violence protection notice": "dvpo",
    "police information notice": "pin warning",
    "harassment warning": "pin warning",
    "harassment notice": "pin",
    "domestic violence": "domestic abuse",
    "domestic violence disclosure scheme": "dvds",
    "clares law": "dvds",
    "victim personal statement": "vps",
    "right to know": "righttoknow",
    "stalking risk profile": "srp",
    "screening assessment for stalking and harassment": "sash",
    "stalking screening tool": "sdash",
    "stalking screening questions": "sdash",
    "domestic abuse risk assessment": "dara",
    "risk identification checklist": "dash",
    "coercive and controlling behaviour": "coercive control",
    "controlling or coercive behaviour": "coercive control",
    "controlling and coercive behaviour": "coercive control",
    "controlling behaviour": "coercive control",
    "coercive behaviour": "coercive control",
    "malicious communication": "malicious communications",
    "super complaint": "supercomplaint complaint",
    "suzy lamplugh trust": "suzylamplugh",
    "suzy lamplugh": "suzylamplugh",
    "national stalking helpline": "helpline",
    "alice ruggles trust": "aliceruggles",
    "alice ruggles": "aliceruggles",
    "protection against stalking": "pas",
    "paladin service": "paladin",
    "national stalking advocacy service": "paladin",
    "ex partner": "expartner",
    "former partner": "expartner",
    "expartner partner": "expartner",
    "previous partner": "expartner",
    "tracking device": "tracker",
    "college of policing": "college policing",
    "police and criminal evidence act": "pace",
    "grievous bodily harm": "gbh",
    "actual bodily harm": "abh",
    "fixated obsessive unwanted repeated": "four",
    "officer in the case": "officer",
    "officer in case": "officer",
    "injured party": "victim",
    "not guilty": "acquittal",
    "found not guilty": "acquittal",
    "guilty plea": "conviction",
    "pleaded guilty": "conviction",
    "pleads guilty": "conviction",
    "year old": "youth",
    "years old": "youth",
    "under 18": "youth",
    "under 18s": "youth",
    "brought in": "introduced",
    "came in": "introduced",
    "come in": "introduced",
    "into force": "introduced",
    "stalking involving fear of violence": "s4a",
    "stalking involving fear of violence or serious alarm or distress": "s4a",
    "putting people in fear of violence": "s4",
    "putting someone in fear of violence": "s4",
    "put in fear of violence": "s4",
    "knows or ought to know": "oughttoknow",
    "ought to know": "oughttoknow",
    "ought to have known": "oughttoknow",
    "should have known": "oughttoknow",
    "stay safe": "safety",
    "keep safe": "safety",
    "get hold of": "contact",
    "warrant card": "warrantcard",
    "course of conduct": "courseofconduct conduct",
    "either way": "eitherway",
    "triable either way": "eitherway",
    "summary only": "summaryonly",
    "indictable only": "indictableonly",
    "mode of trial": "modeoftrial",
    "maximum term": "maximum sentence",
    "no further action": "nfa",
    "victims code of practice": "victims code",
    "code of practice for victims": "victims code",
    "points to prove": "prove elements",
    "need to prove": "prove",
    "red flags": "risk indicators",
    "red flag": "risk indicators",
    "warning signs": "risk indicators",
    "risk factors": "risk indicators",
    "come forward": "report",
    "cease and desist": "pin warning",
    "warning letter": "pin warning",
    "statute barred": "time limit",
    "move house": "address",
    "moves house": "address",
    "moved house": "address",
    "moving house": "address",
    "phone line": "helpline",
    "second opinion": "advice",
    "top end": "maximum",
    "rather than": "difference",
    "as opposed to": "difference",
    "plain stalking": "s2a",
    "basic stalking": "s2a",
    "simple stalking": "s2a",
    "ordinary stalking": "s2a",
    "plain harassment": "s2",
    "basic harassment": "s2",
    "simple harassment": "s2",
    "harassment without violence": "s2",
    "serious stalking": "s4a",
    "north of the border": "scotland",
    "go up": "increase",
    "went up": "increase",
    "gone up": "increase",
    "how often": "rate",
    "lay an information": "charge",
    "laying an information": "charge",
    "laid an information": "charge",
    "out of time": "time limit",
    "find my": "tracker",
    "find my iphone": "tracker",
    "location sharing": "location tracker",
    "mental element": "oughttoknow",
    "mens rea": "oughttoknow",
    "grossly offensive": "communications act",
    "stop and search": "stopsearch",
    "stop search": "stopsearch",
    "jail time": "sentence",
    "prison time": "sentence",
    "time inside": "sentence",
}

# Names of organisations and documents: the words stay as well as the one name, so "Paladin
# advocacy service" still meets an entry that says "National Stalking Advocacy Service".
PHRASES.update(
    {
        "suzy lamplugh trust": "suzylamplugh suzy lamplugh trust",
        "suzy lamplugh": "suzylamplugh suzy lamplugh",
        "alice ruggles trust": "aliceruggles alice ruggles trust",
        "alice ruggles": "aliceruggles alice ruggles",
        "paladin service": "paladin service",
        "national stalking advocacy service": "paladin national stalking advocacy service",
        "national stalking helpline": "helpline national stalking helpline",
        "protection against stalking": "pas protection against stalking",
        "college of policing": "college policing",
    }
)

# Whole-question rewrites, on lower-case text, before words are split: the ways officers ask
# "what is the sentence" without the word, and shorthand a word map cannot see.
REWRITES: tuple[tuple[str, str], ...] = (
    (
        r"\b(?:how long|how many years|how much time|what|wat|wot)\s+(?:can|could|will|would|do|"
        r"does|did|might|may)\s+(?:you|u|he|she|they|someone|somebody|a person|i|the suspect|"
        r"the defendant|the offender|a stalker|people)\s+(?:get|go down|go to prison|go to jail|"
        r"be jailed|be sent down|serve)\b",
        " maximum sentence ",
    ),
    (
        r"\b(?:top|max|maximum|highest|most)\s+(?:sentence|whack|tariff|term)\b",
        " maximum sentence ",
    ),
    (r"\bhow many years\b|\bhow long (?:in|inside|behind bars|in prison|in jail)\b", " sentence "),
)

# Words that mark a question as inside the network's subject even when no entry covers it.
# The knowledge base's own titles, questions and tags are added to these at load time.
SUBJECT = _word_set(
    """
    stalking stalk stalked stalker harassment harass harassing spo pha spa vrr isac idva marac
    victim suspect perpetrator expartner restrainingorder nmo dapo dvpo pin dash sdash sash srp
    dara hocr cyber tracker spyware loiter loitering fixated obsessive four coercive domestic
    abuse malicious paladin suzylamplugh aliceruggles pas helpline hmicfrs supercomplaint
    righttoknow dvds oughttoknow courseofconduct s2 s2a s2b s4 s4a s5a
    """
)

# Tokens that are already canonical: never stemmed and never "corrected" as typos.
CANONICAL = _word_set(
    """
    spo spa pha vrr isac idva marac mappa hocr dash sdash sash srp dara pin nmo dapo dvpo dvds
    vps righttoknow hmicfrs hmcpsi npcc iopc cps restrainingorder expartner supercomplaint
    suzylamplugh aliceruggles pas paladin pnc pnd pace gbh abh four cyber tracker ipaddress
    oughttoknow courseofconduct eitherway summaryonly indictableonly modeoftrial nfa
    """
)

# Everyday words that say nothing about the subject even when an entry's title uses them
# ("How *long* does an SPO *last*?"), so they never make an off-topic question look on topic.
GENERIC = _word_set(
    """
    time times long last day days week weeks month months year years date open opening close
    closed hours hour minute today tomorrow tonight now new old good bad best better big small
    first second next form forms leave work working job jobs office building room desk car
    park parking pay paid money cost free book booking email phone call number address name
    use used using make made way help find look see go going come give take put keep start
    stop end change changes get set run show list page site system link access password login
    account team staff people person man woman men women lot lots kind type types part place
    home house where here there back still even many much every any how what when who why which
    apply applies application available need needs required require rule rules policy process
    send sent sends sending give gave given tell told ask asked see saw seen think thought try
    tried know knew known claim claims court courts police officer officers crime crimes law
    legal force forces station duty shift report reports reported form paperwork file files
    request requests claim mileage expenses leave holiday rota overtime training course courses
    uniform kit radio car van vehicle computer laptop password wifi printer parking canteen
    outside inside near around house flat street road town door bag phone england wales
    english welsh national nationally country number numbers department dept
    """
)

# The canonical tokens spelt out for the sentence encoder, which knows words, not the
# network's abbreviations: "spo breach" is read as "stalking protection order breach".
EXPANSIONS: dict[str, str] = {
    "spo": "stalking protection order",
    "spa": "stalking protection act",
    "pha": "protection from harassment act",
    "vrr": "victims right to review",
    "isac": "independent stalking advocacy caseworker",
    "idva": "independent domestic violence adviser",
    "marac": "multi agency risk assessment conference marac",
    "mappa": "mappa",
    "restrainingorder": "restraining order",
    "hocr": "home office crime recording rules",
    "dash": "dash risk assessment",
    "sdash": "stalking screening questions s-dash",
    "sash": "stalking and harassment risk assessment sash",
    "srp": "stalking risk profile",
    "dara": "domestic abuse risk assessment",
    "nmo": "non molestation order",
    "dapo": "domestic abuse protection order",
    "dvpo": "domestic violence protection order",
    "dvds": "domestic violence disclosure scheme",
    "vps": "victim personal statement",
    "righttoknow": "right to know",
    "hmicfrs": "police inspectorate hmicfrs",
    "hmcpsi": "cps inspectorate",
    "cps": "crown prosecution service",
    "expartner": "ex partner",
    "supercomplaint": "super complaint",
    "suzylamplugh": "suzy lamplugh trust",
    "aliceruggles": "alice ruggles",
    "pas": "paladin stalking advocacy",
    "paladin": "paladin stalking advocacy service",
    "pnc": "police national computer",
    "pnd": "police national database",
    "pace": "police and criminal evidence act",
    "gbh": "grievous bodily harm",
    "abh": "actual bodily harm",
    "four": "four fixated obsessive unwanted repeated",
    "ipaddress": "ip address",
    "oughttoknow": "ought to know",
    "courseofconduct": "course of conduct",
    "eitherway": "either way",
    "summaryonly": "summary only",
    "indictableonly": "indictable only",
    "modeoftrial": "mode of trial",
    "nfa": "no further action",
    "s2": "harassment section 2",
    "s2a": "stalking section 2a",
    "s4": "fear of violence harassment section 4",
    "s4a": "stalking fear of violence serious alarm distress section 4a",
    "s2b": "stalking search warrant section 2b",
    "s3": "civil claim harassment section 3",
    "s5": "restraining order on conviction section 5",
    "s5a": "restraining order on acquittal section 5a",
}
