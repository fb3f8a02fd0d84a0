"""Seed tasks in the seed format (instruction, is_classification, input, output), both kinds, shared
by the Self-Instruct tests and the real-model test."""

SEEDS = [
    (
        "Give three tips for staying healthy during the winter.",
        False,
        "",
        "Sleep well, eat fruit, walk daily.",
    ),
    ("Classify the sentiment of the movie review as positive or negative.", True, "A dull film.", "negative"),
    ("Translate the given sentence from English into Spanish.", False, "Good morning.", "Buenos días."),
    ("Tell me whether the email is spam. Answer yes or no.", True, "You won a prize!", "yes"),
    ("Suggest a title for a blog post about home gardening.", False, "", "Grow Your Own Greens"),
    ("Summarize the paragraph in a single short sentence.", False, "Cats sleep a lot.", "Cats nap often."),
    ("Find the capital city of the country mentioned.", False, "France", "Paris"),
    ("Decide if the statement is a fact or an opinion.", True, "Water boils at 100 C.", "fact"),
    ("Rewrite the sentence in the passive voice.", False, "The dog bit the man.", "The man was bitten."),
]
