"""What the synthetic cohort's people, places and records are called, and what they say.

Invented names and everyday wording, kept apart from the generator's model of how
families fare; none of it is a real person or a real case."""

from __future__ import annotations

FIRST_NAMES = (
    "Amira",
    "Ben",
    "Chloe",
    "Dev",
    "Ella",
    "Femi",
    "Grace",
    "Hamza",
    "Isla",
    "Jack",
    "Kiran",
    "Leah",
    "Marcus",
    "Nadia",
    "Owen",
    "Priya",
    "Rosie",
    "Sam",
    "Tariq",
    "Zoe",
)
LAST_NAMES = (
    "Ahmed",
    "Brennan",
    "Clarke",
    "Davies",
    "Evans",
    "Fraser",
    "Green",
    "Hughes",
    "Iqbal",
    "Jones",
    "Khan",
    "Lewis",
    "Morgan",
    "Nowak",
    "Okafor",
    "Patel",
    "Quinn",
    "Roberts",
)
AREAS = (
    "Northfield",
    "Riverside",
    "Eastgate",
    "Westbrook",
    "Hillcrest",
    "Southmoor",
    "Castleton",
    "Meadowbank",
    "Oakley",
    "Brookside",
    "Kingsway",
    "Ashford",
)
BACKGROUNDS = ("family_support", "social_work", "health", "education", "youth_work")
PRESENTING_ISSUES = (
    "school attendance",
    "parenting",
    "domestic abuse",
    "parental mental health",
    "child behaviour",
    "debt",
    "housing",
    "substance misuse",
    "child emotional health",
)
SPECIALIST_SERVICES = (
    "Children's social care",
    "Child and adolescent mental health",
    "Adult mental health",
    "Substance misuse service",
    "Domestic abuse service",
    "Housing options",
)
CLOSURE_NOTES = {
    "partially_achieved": "Most goals met; the family chose to carry on with the school's support.",
    "not_achieved": "The plan no longer fitted the family; revisit it if they are re-referred.",
    "stepped_up": "Concerns grew at review; referred on to children's social care with consent.",
    "moved_away": "The family moved out of the area; details passed to the new local team.",
    "dropped_out": "Stopped answering calls and missed two visits; letter sent to close the case.",
}
CASE_NOTES = (
    "Home visit: talked through the plan with both parents.",
    "Met the school's pastoral lead about attendance.",
    "Family asked for help with a benefits form; done together.",
    "Phone call: things are calmer this week.",
    "Team Around the Family meeting held; actions agreed.",
)
FEEDBACK_COMMENTS = (
    "Our key worker listened and did not judge us.",
    "Things are calmer at home now.",
    "It took a while to get started.",
    "Would have liked more evening visits.",
    "The school meetings really helped.",
)
GOALS = {
    "taf-dtt": (
        ("routines_boundaries", "Keep to a bedtime routine on school nights"),
        ("participation_learning_education_work", "Get to school on time every day"),
        ("income_employment_finance", "Set up a plan to pay off rent arrears"),
        ("mental_health_wellbeing", "Parent to see the GP about low mood"),
        ("behavioural_development", "Fewer angry outbursts at home"),
        ("social_community_links", "Join a local parents' group"),
        ("housing", "Get the damp in the flat repaired"),
    ),
    "family-outcomes-10": (
        ("family_routine", "Eat one meal a day together"),
        ("education_learning", "Go to every parents' evening this year"),
        ("home_money", "Open a basic bank account and budget weekly"),
        ("wellbeing", "Take half an hour a day for myself"),
        ("boundaries_behaviour", "Agree three house rules with the children"),
        ("progress_to_work", "Enrol on a short college course"),
        ("social_networks", "Ask a friend or relative for help once a week"),
    ),
}
# The referral pathway: who else works with a family in a multi-agency package, and where
# a referral that is not for early help is signposted instead.
AGENCIES = (
    "School",
    "Health visiting",
    "GP",
    "Housing",
    "Police",
    "Youth service",
    "Adult mental health",
    "Citizens Advice",
    "Children's centre",
)
SIGNPOSTED_TO = (
    "Children's social care",
    "School nursing",
    "Citizens Advice",
    "Parenting course at the children's centre",
    "Adult mental health",
)
# Panel members who answer the team's questionnaire, beside the key workers.
PANEL_MEMBERS = (
    "Helen Ward (health)",
    "Mark Doyle (schools)",
    "Sunita Rao (children's social care)",
    "Gary Price (housing)",
    "Joanne Hill (police)",
)
STAKEHOLDER_COMMENTS = (
    "Panel decisions came quickly this quarter.",
    "Hard to get housing to the table; the rest worked well.",
    "Waiting for a panel date held two families up.",
    "Schools joined every Team Around the Family meeting.",
    "Mental health support is still the gap.",
    "Referral forms came back complete, which saved time.",
)
# A closure audit's comments and a sampled case file's evidence notes, in the manager's words.
CLOSURE_AUDIT_COMMENTS = {
    "reason": "Partly ours: the plan waited weeks for a housing decision.",
    "plan_right": "The goals were right; too many of them at once.",
    "engagement": "Good at first, then visits were missed after the move.",
    "multi_agency": "School engaged well; no mental health input was available.",
    "differently": "Agree fewer goals and bring housing in at the start.",
}
CASE_FILE_EVIDENCE = {
    "engagement": "The family's own words are recorded at each review.",
    "multi_agency": "Team Around the Family minutes on file; the GP was not invited.",
    "innovation": "Used a weekly text check-in the family asked for.",
}
