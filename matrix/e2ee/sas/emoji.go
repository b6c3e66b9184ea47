package sas

// Emoji is one of the 64 SAS emoji: its symbol and its English name as
// the specification gives them.
type Emoji struct {
	Symbol string
	Name   string
}

// EmojiTable is the specification's table of SAS emoji, by number.
var EmojiTable = [64]Emoji{
	{"🐶", "Dog"}, {"🐱", "Cat"}, {"🦁", "Lion"}, {"🐎", "Horse"},
	{"🦄", "Unicorn"}, {"🐷", "Pig"}, {"🐘", "Elephant"}, {"🐰", "Rabbit"},
	{"🐼", "Panda"}, {"🐓", "Rooster"}, {"🐧", "Penguin"}, {"🐢", "Turtle"},
	{"🐟", "Fish"}, {"🐙", "Octopus"}, {"🦋", "Butterfly"}, {"🌷", "Flower"},
	{"🌳", "Tree"}, {"🌵", "Cactus"}, {"🍄", "Mushroom"}, {"🌏", "Globe"},
	{"🌙", "Moon"}, {"\u2601\ufe0f", "Cloud"}, {"🔥", "Fire"}, {"🍌", "Banana"},
	{"🍎", "Apple"}, {"🍓", "Strawberry"}, {"🌽", "Corn"}, {"🍕", "Pizza"},
	{"🎂", "Cake"}, {"\u2764\ufe0f", "Heart"}, {"😀", "Smiley"}, {"🤖", "Robot"},
	{"🎩", "Hat"}, {"👓", "Glasses"}, {"🔧", "Spanner"}, {"🎅", "Santa"},
	{"👍", "Thumbs Up"}, {"\u2602\ufe0f", "Umbrella"}, {"\u231b", "Hourglass"}, {"\u23f0", "Clock"},
	{"🎁", "Gift"}, {"💡", "Light Bulb"}, {"📕", "Book"}, {"\u270f\ufe0f", "Pencil"},
	{"📎", "Paperclip"}, {"\u2702\ufe0f", "Scissors"}, {"🔒", "Lock"}, {"🔑", "Key"},
	{"🔨", "Hammer"}, {"\u260e\ufe0f", "Telephone"}, {"🏁", "Flag"}, {"🚂", "Train"},
	{"🚲", "Bicycle"}, {"\u2708\ufe0f", "Aeroplane"}, {"🚀", "Rocket"}, {"🏆", "Trophy"},
	{"\u26bd", "Ball"}, {"🎸", "Guitar"}, {"🎺", "Trumpet"}, {"🔔", "Bell"},
	{"\u2693", "Anchor"}, {"🎧", "Headphones"}, {"📁", "Folder"}, {"📌", "Pin"},
}
