/** Vocabulary of the synthetic shop: markets, names, categories, services. Plain data, no logic. */

export interface Market {
  readonly locale: string;
  readonly country: string;
  readonly timezone: string;
  readonly weight: number;
  readonly cities: readonly string[];
  readonly firstNames: readonly string[];
  readonly lastNames: readonly string[];
}

export const MARKETS: readonly Market[] = [
  {
    locale: "fr-FR",
    country: "FR",
    timezone: "Europe/Paris",
    weight: 30,
    cities: ["Paris", "Paris", "Paris", "Lyon", "Marseille", "Bordeaux", "Lille", "Nantes", "Toulouse"],
    firstNames: [
      "Camille",
      "Léa",
      "Manon",
      "Chloé",
      "Inès",
      "Louis",
      "Hugo",
      "Lucas",
      "Jules",
      "Gabriel",
      "Émilie",
    ],
    lastNames: [
      "Martin",
      "Bernard",
      "Dubois",
      "Thomas",
      "Robert",
      "Petit",
      "Durand",
      "Leroy",
      "Moreau",
      "Lefèvre",
    ],
  },
  {
    locale: "en-GB",
    country: "GB",
    timezone: "Europe/London",
    weight: 20,
    cities: ["London", "London", "Manchester", "Birmingham", "Leeds", "Bristol", "Edinburgh"],
    firstNames: ["Olivia", "Amelia", "Isla", "Ava", "Emily", "Oliver", "George", "Harry", "Noah", "Jack"],
    lastNames: ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Evans"],
  },
  {
    locale: "de-DE",
    country: "DE",
    timezone: "Europe/Berlin",
    weight: 20,
    cities: ["Berlin", "Berlin", "Munich", "Hamburg", "Cologne", "Frankfurt", "Stuttgart"],
    firstNames: ["Mia", "Emma", "Hannah", "Sophia", "Lena", "Ben", "Paul", "Leon", "Finn", "Jonas", "Jürgen"],
    lastNames: [
      "Müller",
      "Schmidt",
      "Schneider",
      "Fischer",
      "Weber",
      "Meyer",
      "Wagner",
      "Becker",
      "Hoffmann",
    ],
  },
  {
    locale: "es-ES",
    country: "ES",
    timezone: "Europe/Madrid",
    weight: 10,
    cities: ["Madrid", "Barcelona", "Valencia", "Seville", "Bilbao"],
    firstNames: ["Lucía", "Sofía", "Martina", "María", "Hugo", "Mateo", "Martín", "Pablo", "Álvaro"],
    lastNames: ["García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez", "Pérez"],
  },
  {
    locale: "it-IT",
    country: "IT",
    timezone: "Europe/Rome",
    weight: 8,
    cities: ["Milan", "Rome", "Turin", "Florence", "Bologna", "Naples"],
    firstNames: ["Giulia", "Sofia", "Aurora", "Alice", "Leonardo", "Francesco", "Alessandro", "Lorenzo"],
    lastNames: ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci"],
  },
  {
    locale: "nl-NL",
    country: "NL",
    timezone: "Europe/Amsterdam",
    weight: 6,
    cities: ["Amsterdam", "Rotterdam", "Utrecht", "The Hague", "Eindhoven"],
    firstNames: ["Emma", "Julia", "Tess", "Sophie", "Noah", "Daan", "Sem", "Lucas", "Levi"],
    lastNames: ["de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Visser", "Smit"],
  },
  {
    locale: "fr-BE",
    country: "BE",
    timezone: "Europe/Brussels",
    weight: 3,
    cities: ["Brussels", "Liège", "Namur", "Charleroi"],
    firstNames: ["Louise", "Olivia", "Alice", "Arthur", "Louis", "Jules", "Victor"],
    lastNames: ["Peeters", "Janssens", "Maes", "Jacobs", "Dubois", "Lambert", "Dupont"],
  },
  {
    locale: "en-US",
    country: "US",
    timezone: "America/New_York",
    weight: 3,
    cities: ["New York", "Boston", "Philadelphia"],
    firstNames: ["Olivia", "Emma", "Charlotte", "Liam", "Noah", "James", "Ethan"],
    lastNames: ["Smith", "Johnson", "Williams", "Brown", "Miller", "Davis", "Garcia"],
  },
];

export interface Category {
  readonly name: string;
  readonly weight: number;
  readonly priceMin: number;
  readonly priceMax: number;
  readonly nouns: readonly string[];
}

export const CATEGORIES: readonly Category[] = [
  {
    name: "Outerwear",
    weight: 12,
    priceMin: 79,
    priceMax: 399,
    nouns: ["Parka", "Trench Coat", "Puffer Jacket", "Wool Coat", "Rain Jacket", "Bomber"],
  },
  {
    name: "Shoes",
    weight: 14,
    priceMin: 39,
    priceMax: 229,
    nouns: ["Sneakers", "Chelsea Boots", "Loafers", "Running Shoes", "Sandals", "Derbies"],
  },
  {
    name: "Knitwear",
    weight: 10,
    priceMin: 29,
    priceMax: 189,
    nouns: ["Crew Sweater", "Cardigan", "Turtleneck", "Knit Vest", "Hoodie"],
  },
  {
    name: "Dresses",
    weight: 9,
    priceMin: 35,
    priceMax: 249,
    nouns: ["Midi Dress", "Wrap Dress", "Shirt Dress", "Maxi Dress", "Slip Dress"],
  },
  {
    name: "Trousers",
    weight: 9,
    priceMin: 29,
    priceMax: 149,
    nouns: ["Chinos", "Jeans", "Cargo Pants", "Wide-Leg Trousers", "Joggers"],
  },
  {
    name: "Shirts",
    weight: 10,
    priceMin: 19,
    priceMax: 119,
    nouns: ["Oxford Shirt", "Linen Shirt", "T-Shirt", "Polo", "Blouse"],
  },
  {
    name: "Accessories",
    weight: 11,
    priceMin: 9,
    priceMax: 89,
    nouns: ["Scarf", "Beanie", "Belt", "Gloves", "Sunglasses", "Cap"],
  },
  {
    name: "Bags",
    weight: 8,
    priceMin: 25,
    priceMax: 349,
    nouns: ["Tote Bag", "Backpack", "Crossbody Bag", "Weekender", "Wallet"],
  },
  {
    name: "Sportswear",
    weight: 9,
    priceMin: 19,
    priceMax: 139,
    nouns: ["Leggings", "Training Top", "Track Jacket", "Shorts", "Sports Bra"],
  },
  {
    name: "Beauty",
    weight: 8,
    priceMin: 7,
    priceMax: 99,
    nouns: ["Face Cream", "Eau de Parfum", "Lip Balm", "Serum", "Shampoo"],
  },
];

export const ADJECTIVES = [
  "Classic",
  "Essential",
  "Merino",
  "Organic Cotton",
  "Recycled",
  "Slim",
  "Relaxed",
  "Vintage",
  "Linen",
  "Cashmere",
  "Waterproof",
  "Lightweight",
  "Heritage",
  "Urban",
  "Alpine",
  "Coastal",
  "Nordic",
  "Soft",
  "Premium",
  "Everyday",
] as const;

export const COLORS = [
  "Black",
  "Navy",
  "Camel",
  "Olive",
  "Ivory",
  "Grey",
  "Burgundy",
  "Sand",
  "Forest",
  "Rust",
] as const;

export const STORE_DISTRICTS = [
  "Centre",
  "Gare",
  "Nord",
  "Sud",
  "Rivoli",
  "Riverside",
  "Old Town",
  "Mall",
] as const;

export const SERVICES = [
  "Personal styling",
  "Tailoring",
  "Shoe fitting",
  "Click & collect pickup",
  "Beauty consultation",
] as const;

export const LOYALTY_TIERS = ["bronze", "bronze", "bronze", "silver", "silver", "gold"] as const;

/** Relative session rate by UTC hour (European shoppers: quiet nights, busy evenings). */
export const HOURLY_WEIGHTS = [
  0.25, 0.15, 0.1, 0.1, 0.1, 0.2, 0.4, 0.7, 0.9, 1, 1.05, 1.1, 1.25, 1.15, 1, 1, 1.1, 1.3, 1.5, 1.75, 1.9,
  1.7, 1.2, 0.6,
] as const;
