// In a file of its own, not main.swift: globals here are initialised lazily, so the tests, which
// import this module without running main.swift, can use them.

/// The user lines of the CACM 1966 conversation (Weizenbaum, CACM 9(1) pp.36–37), embedded so the
/// bench needs no reference data.
let cacmLines = [
    "Men are all alike.",
    "They're always bugging us about something or other.",
    "Well, my boyfriend made me come here.",
    "He says I'm depressed much of the time.",
    "It's true. I am unhappy.",
    "I need some help, that much seems certain.",
    "Perhaps I could learn to get along with my mother.",
    "My mother takes care of me.",
    "My father.",
    "You are like my father in some ways.",
    "You are not very aggressive but I think you don't want me to notice that.",
    "You don't argue with me.",
    "You are afraid of me.",
    "My father is afraid of everybody.",
    "Bullies.",
]
/// The last CACM reply: a MEMORY recall, so it proves the whole conversation ran as printed.
let cacmLastReply = "DOES THAT HAVE ANYTHING TO DO WITH THE FACT THAT YOUR BOYFRIEND MADE YOU COME HERE"
