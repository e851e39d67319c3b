"""Generic English the normaliser knows in every network: stop words, text-speak, everyday words."""

# A network's own words (its shorthand, phrases, subject, canonical tokens and expansions) are
# data beside its knowledge base, `vocabulary.yaml`, read by `bot.knowledge.vocabulary`.

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

# Text-speak, abbreviations and misspellings of everyday English, mapped to the plain word. A
# network's vocabulary.yaml maps its own subject's words and may override any of these.
WORDS: dict[str, str] = {
    "wot": "what", "wat": "what", "wht": "what", "wats": "what", "whatis": "what", "n": "and",
    "u": "you", "ur": "your", "r": "are", "y": "why", "pls": "please", "plz": "please",
    "cos": "because", "coz": "because", "cuz": "because", "bc": "because", "b4": "before",
    "thru": "through", "wen": "when", "hw": "how", "cud": "could", "cld": "could", "shud": "should",
    "shld": "should", "wud": "would", "abt": "about", "im": "i", "ive": "i", "ya": "you",
    "2day": "today", "tmrw": "tomorrow", "diff": "difference", "dif": "difference",
    "differnce": "difference", "info": "information", "docs": "documents", "doc": "document",
    "msg": "message", "msgs": "messages", "txt": "text", "txts": "texts", "txting": "texting",
    "pic": "picture", "pics": "pictures", "fb": "facebook", "insta": "instagram",
    "snap": "snapchat", "approx": "about", "yrs": "years", "yr": "year", "wk": "week",
    "wks": "weeks", "hrs": "hours", "mins": "minutes", "tel": "telephone", "num": "number",
    "offense": "offence", "offenses": "offences", "defense": "defence", "recieve": "receive",
    "seperate": "separate", "seperated": "separated", "neccessary": "necessary",
    "neccesary": "necessary", "necesary": "necessary", "stats": "statistics", "pts": "points",
    "pt": "point", "reqs": "requirements", "req": "requirement", "qs": "questions",
    "dept": "department", "min": "minimum", "dms": "messages", "dm": "message",
}  # fmt: skip

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
