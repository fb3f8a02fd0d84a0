"""Small hand-written vocabularies the demo rows are composed from."""

from __future__ import annotations

# fmt: off
PRODUCTS = [
    "coffee grinder", "pair of hiking boots", "desk lamp", "phone case", "rice cooker", "backpack", "wireless mouse",
    "yoga mat", "water bottle", "electric kettle", "board game", "winter jacket", "bike helmet", "blender",
    "paperback novel", "garden hose", "office chair", "travel pillow", "toaster", "headphones",
]
PRAISE = [
    "works exactly as described", "exceeded my expectations", "is sturdy and well made",
    "arrived early and well packed", "is worth every penny", "made my mornings easier",
    "feels premium for the price", "has held up after months of use", "is simple to set up",
]
COMPLAINTS = [
    "broke after two weeks", "is much smaller than pictured", "stopped working on day one",
    "arrived scratched and dented", "is not worth the money", "feels flimsy and cheap",
    "smells of plastic", "was missing parts", "is far too loud",
]
OPENERS = ["Honestly,", "After a month,", "To be fair,", "In short,", "Overall,", "Frankly,", "So far,", ""]
GOOD_CLOSERS = ["I would buy it again.", "My whole family uses it.", "Five stars from me.", "It does the job.", ""]
BAD_CLOSERS = ["Would not recommend.", "Returned it the next day.", "Save your money.", "One star.", ""]

PEOPLE = ["Maria", "Kenji", "Amara", "Lukas", "Priya", "Tomás", "Ingrid", "Omar", "Chloe", "Dmitri", "Ana", "Felix"]
PLACES = [
    "Lisbon", "Nairobi", "Osaka", "Toronto", "Krakow", "Santiago", "Hanoi", "Dublin", "Marseille", "Denver",
    "Accra", "Bergen",
]
ACTIVITIES = [
    "painting a mural", "repairing a bicycle", "baking bread", "studying for an exam", "walking a dog",
    "playing the violin", "planting tomatoes", "reading a newspaper", "fixing a leaking tap", "writing a letter",
    "running a marathon", "cooking dinner",
]
PLACES_INSIDE = ["in the kitchen", "at the park", "in a library", "on a train", "at the market", "in the garage"]
TIMES = ["this morning", "last night", "on Sunday", "after lunch", "before dawn", "during the storm"]

TOPICS = {
    "sports": [
        ("the local team", "won the cup final", "after extra time"),
        ("a veteran sprinter", "set a new national record", "at the indoor championships"),
        ("the coach", "announced her retirement", "after twelve seasons"),
        ("the league", "approved a new salary cap", "for next season"),
    ],
    "business": [
        ("a regional bank", "reported higher quarterly profits", "despite weaker lending"),
        ("the retailer", "will close forty stores", "by the end of the year"),
        ("a start-up", "raised fresh funding", "to expand overseas"),
        ("shipping costs", "fell for a third month", "as demand cooled"),
    ],
    "science": [
        ("astronomers", "detected water vapour", "on a distant exoplanet"),
        ("a research team", "mapped the genome of a rare orchid", "for the first time"),
        ("engineers", "tested a solid-state battery", "that charges in minutes"),
        ("ecologists", "counted more wolves", "in the northern forests"),
    ],
    "world": [
        ("the two governments", "signed a trade agreement", "after months of talks"),
        ("heavy rains", "flooded several villages", "in the river valley"),
        ("voters", "chose a new mayor", "in a tight election"),
        ("the summit", "ended without a joint statement", "late on Friday"),
    ],
}

SCIENCE_FACTS = [
    ("Water boils at a lower temperature at high altitude", "because air pressure is lower there"),
    ("The Moon causes most ocean tides", "through its gravitational pull on the Earth"),
    ("Plants release oxygen during photosynthesis", "while they turn light into chemical energy"),
    ("Copper is used in electrical wiring", "because it conducts electricity well and is cheap"),
    ("Bats find insects in the dark", "by listening to the echoes of their own calls"),
    ("Salt melts ice on roads", "by lowering the freezing point of water"),
    ("Honey rarely spoils", "since its low water content stops microbes from growing"),
    ("A rainbow appears after rain", "when sunlight is refracted inside water droplets"),
    ("Penguins huddle together in winter", "to share body heat and survive the cold"),
    ("The heart has four chambers", "which keep oxygen-rich and oxygen-poor blood apart"),
    ("Volcanoes form along plate boundaries", "where magma rises through cracks in the crust"),
    ("Lightning is followed by thunder", "because light travels much faster than sound"),
]

RECIPES = [
    ("lentil soup", ["lentils", "carrots", "onion", "cumin"], "simmer for thirty minutes"),
    ("pancakes", ["flour", "milk", "eggs", "butter"], "cook each side until golden"),
    ("tomato salad", ["tomatoes", "basil", "olive oil", "salt"], "toss gently and serve cold"),
    ("fried rice", ["rice", "peas", "soy sauce", "egg"], "stir-fry over high heat"),
    ("banana bread", ["bananas", "flour", "sugar", "walnuts"], "bake for fifty minutes"),
    ("guacamole", ["avocado", "lime", "onion", "chili"], "mash with a fork"),
    ("omelette", ["eggs", "cheese", "chives", "pepper"], "fold over and slide onto a plate"),
    ("porridge", ["oats", "milk", "honey", "cinnamon"], "stir until thick"),
]

FR_PRODUITS = ["ce restaurant", "cet hôtel", "ce téléphone", "cette librairie", "ce film", "cette boulangerie"]
FR_BIEN = ["est vraiment excellent", "m'a beaucoup plu", "vaut le détour", "dépasse mes attentes"]
FR_MAL = ["est très décevant", "ne vaut pas le prix", "m'a laissé sur ma faim", "est à éviter"]
FR_FINS = ["Je reviendrai.", "Service impeccable.", "Quelle déception.", "Personnel aimable.", "Trop cher.", ""]

GREETINGS = {
    "en": ["Good morning, how are you?", "Thank you very much for your help.", "See you tomorrow at noon."],
    "fr": ["Bonjour, comment allez-vous ?", "Merci beaucoup pour votre aide.", "À demain à midi."],
    "de": ["Guten Morgen, wie geht es Ihnen?", "Vielen Dank für Ihre Hilfe.", "Bis morgen um zwölf."],
    "es": ["Buenos días, ¿cómo está?", "Muchas gracias por su ayuda.", "Hasta mañana a mediodía."],
}

# English sentence pairs with their French translation, composed word by word.
EN_FR_SUBJECTS = [("The cat", "Le chat"), ("My brother", "Mon frère"), ("The teacher", "Le professeur"),
                  ("Our neighbour", "Notre voisin"), ("The child", "L'enfant"), ("The doctor", "Le médecin")]
EN_FR_VERBS = [("reads", "lit"), ("sees", "voit"), ("buys", "achète"), ("likes", "aime"), ("finds", "trouve")]
EN_FR_OBJECTS = [("a book", "un livre"), ("the house", "la maison"), ("a red apple", "une pomme rouge"),
                 ("the newspaper", "le journal"), ("a small garden", "un petit jardin"), ("the old car", "la vieille voiture")]
EN_FR_TIMES = [("today", "aujourd'hui"), ("every morning", "chaque matin"), ("on Monday", "lundi"), ("", "")]

WORDS = [
    "harbor", "lantern", "meadow", "quartz", "saddle", "thistle", "velvet", "whisper", "anchor", "bramble",
    "cinder", "drizzle", "ember", "fjord", "glimmer", "hollow", "ivory", "juniper", "kettle", "lichen",
    "marble", "nectar", "orchard", "pebble", "quiver", "ripple", "shingle", "timber", "umber", "willow",
]
SHAPES = ["circle", "square", "triangle", "star"]
COLORS = ["red", "green", "blue", "yellow", "purple", "orange"]
EMOTIONS = ["joy", "sadness", "anger", "fear", "surprise", "love"]
EMOTION_CUES = {
    "joy": ["cannot stop smiling", "had the best day", "feel on top of the world"],
    "sadness": ["miss my old friends", "feel so empty tonight", "cried during the film"],
    "anger": ["am furious about the delay", "cannot believe how rude they were", "am fed up with this"],
    "fear": ["am terrified of the exam", "heard a noise downstairs", "dread the interview"],
    "surprise": ["did not expect that ending", "was stunned by the news", "never saw it coming"],
    "love": ["adore my little sister", "cherish these quiet evenings", "am grateful for my partner"],
}
# fmt: on
