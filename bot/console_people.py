"""Who is in `champbot console`: its people, their roles and help, its channels and its zone."""

from __future__ import annotations

from bot.models import Role

PEOPLE = {  # name: (user id, role on the roster)
    "olivia": ("UOLIVIA", Role.OFFICER),
    "omar": ("UOMAR", Role.OFFICER),
    "chris": ("UCHRIS", Role.CHAMPION),
    "cara": ("UCARA", Role.CHAMPION),
    "lena": ("ULENA", Role.LEAD),
    "adam": ("UADAM", Role.ADMIN),
}
GENERAL = "CGENERAL"
CHANNELS = {GENERAL: "general", "CQUEUE": "queue", "CNETWORK": "network"}
ZONE = "Europe/London"  # everyone in the console lives here, as the emulation's profiles say
CONSOLE_HELP = """\
The console:
  /as NAME          switch who you are (olivia, omar: officers; chris, cara: champions;
                    lena: lead; adam: admin)      /who   list the people
  /click N          press button N in [brackets] (or /click LABEL: the latest so labelled)
  /submit A | B     fill in the open form's fields in order and send it
  /back             go back to the form under this one (*Back* on a preview)
  /close            cancel the form
  /home             open your App Home tab
  /mention TEXT     mention the bot in #general
  /say TEXT         write in your latest consult (the group DM with your champion or officer)
  /wait 10m         move the clock on (30s, 10m, 2h, 1d) and run what came due
  /time             the console's time
  /quit             leave
Type @name for a person (@chris) as in Slack.
"""
# The bot's own commands, by who may use them (the policy refuses the rest).
ROLE_HELP = {
    Role.OFFICER: """\
As an officer:
  TEXT              ask the bot a question (a direct message)
  /ask TEXT         ask a question, answered where you typed it
  /faq TEXT         search the knowledge base only
  /champbot help    what the bot does
""",
    Role.CHAMPION: """\
As a champion:
  /champion on | off              go on or off duty
  /champion away until friday     away until a time (also: away for 3h)
  /champion status                your availability and your requests
  /champion area AREA             your area;  /champion skills a,b   your skills
  /ask TEXT, /faq TEXT, TEXT      ask as an officer would
""",
    Role.LEAD: """\
As a lead:
  /broadcast                      write a broadcast to the network (a form)
  /broadcast list                 scheduled and recent broadcasts
  /champbot stats                 the network's figures
  /champbot unanswered            questions the knowledge base could not answer
  /ask TEXT, /faq TEXT, TEXT      ask as an officer would
""",
    Role.ADMIN: """\
As an admin:
  /champbot roster list                               who is on the roster
  /champbot roster add @name officer|champion|lead|admin   add someone or change a role
  /champbot roster remove @name                       take someone off
  /champbot stats, /champbot unanswered               the figures
  /ask TEXT, /faq TEXT, TEXT                          ask as an officer would
""",
}

NAMES = {uid: name for name, (uid, _) in PEOPLE.items()} | CHANNELS
IDS = {name: uid for name, (uid, _) in PEOPLE.items()}


def help_text(role: Role) -> str:
    """`/help`: the console's own commands, then the bot's for this role."""
    return CONSOLE_HELP + "\n" + ROLE_HELP[role]
