//! The random choices of one event: [`EventRandom`], a stream of numbers that depends only on
//! the seed and the event's id, and the string and price helpers of the specification built on it.
//!
//! Beam's Nexmark seeds a `java.util.Random` with each event's id so that an event is a function
//! of its id; here the stream is SplitMix64 ([`weir_connectors::random_u64`]) started from
//! `random_u64(seed, event_id)`. Strings are drawn several characters per number (successive
//! multiply-shift "digits" of one 64-bit draw) because a bid's 54–81 byte payload is most of the
//! generator's work.

use weir_connectors::random_u64;

/// The shortest string [`EventRandom::string`] makes, before trimming.
const MIN_STRING_LENGTH: u64 = 3;
/// Bits of a draw kept unused as precision for the last digit taken from it.
const SPARE_BITS: u32 = 8;

/// The random numbers of one event, in draw order.
#[derive(Debug, Clone)]
pub struct EventRandom {
    /// The SplitMix64 state the stream starts from.
    stream: u64,
    /// How many numbers were drawn.
    drawn: u64,
    /// The current draw being cut into digits by [`Self::digit`] ...
    digits: u64,
    /// ... and how many of its bits are left.
    digit_bits: u32,
}

impl EventRandom {
    /// The stream of event `event_id` under `seed`.
    #[inline]
    pub fn new(seed: u64, event_id: u64) -> Self {
        EventRandom { stream: random_u64(seed, event_id), drawn: 0, digits: 0, digit_bits: 0 }
    }

    /// The next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let value = random_u64(self.stream, self.drawn);
        self.drawn += 1;
        value
    }

    /// A number in `0..n` (0 when `n` is 0), from one draw (Lemire's multiply-shift).
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A number in `[0, 1)`.
    #[inline]
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A number in `0..n` for small `n`: the next multiply-shift digit of the current draw,
    /// drawing anew when fewer than `log2(n) + 8` bits of it are left. About 11 letters per draw.
    #[inline]
    pub fn digit(&mut self, n: u64) -> u64 {
        let cost = 64 - n.saturating_sub(1).leading_zeros();
        if self.digit_bits < cost + SPARE_BITS {
            self.digits = self.next_u64();
            self.digit_bits = 64;
        }
        let product = u128::from(self.digits) * u128::from(n);
        self.digits = product as u64;
        self.digit_bits -= cost;
        (product >> 64) as u64
    }

    /// A lower-case string of 3 to `max_length - 1` characters, about one in 13 of them a space,
    /// trimmed at both ends (Nexmark's `nextString`).
    pub fn string(&mut self, max_length: u64) -> String {
        let length = MIN_STRING_LENGTH + self.below(max_length.saturating_sub(MIN_STRING_LENGTH));
        let mut text = String::with_capacity(length as usize);
        for _ in 0..length {
            if self.digit(13) == 0 {
                text.push(' ');
            } else {
                text.push(letter(self.digit(26)));
            }
        }
        let trimmed = text.trim();
        if trimmed.len() == text.len() { text } else { trimmed.to_string() }
    }

    /// Exactly `length` lower-case letters (Nexmark's `nextExactString`).
    pub fn exact_string(&mut self, length: usize) -> String {
        let mut text = String::with_capacity(length);
        for _ in 0..length {
            text.push(letter(self.digit(26)));
        }
        text
    }

    /// The payload that brings a record of `current_size` bytes to `average_size` on average:
    /// a string of the missing size ±20%, uniform (Nexmark's `nextExtra`).
    pub fn extra(&mut self, current_size: usize, average_size: usize) -> String {
        if current_size > average_size {
            return String::new();
        }
        let missing = (average_size - current_size) as u64;
        let delta = (missing as f64 * 0.2).round() as u64;
        let size = missing - delta + if delta == 0 { 0 } else { self.below(2 * delta) };
        self.exact_string(size as usize)
    }

    /// A price in cents between $1 and $1,000,000, log-uniform (Nexmark's `nextPrice`:
    /// `round(10^(6u) * 100)`).
    #[inline]
    pub fn price(&mut self) -> u64 {
        ((self.unit() * 6.0 * std::f64::consts::LN_10).exp() * 100.0).round() as u64
    }
}

#[inline]
fn letter(digit: u64) -> char {
    char::from(b'a' + digit as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stream_is_a_function_of_seed_and_event() {
        let draw = |seed, event| {
            let mut random = EventRandom::new(seed, event);
            (random.next_u64(), random.below(1000), random.digit(26), random.string(20))
        };
        assert_eq!(draw(1, 7), draw(1, 7));
        assert_ne!(draw(1, 7), draw(1, 8));
        assert_ne!(draw(1, 7), draw(2, 7));
    }

    #[test]
    fn digits_are_uniform_enough() {
        let mut random = EventRandom::new(3, 0);
        let mut counts = [0u32; 26];
        for _ in 0..260_000 {
            counts[random.digit(26) as usize] += 1;
        }
        // 10,000 expected per letter; 5 standard deviations is ~500.
        assert!(counts.iter().all(|&c| (9_500..=10_500).contains(&c)), "{counts:?}");
    }

    #[test]
    fn strings_have_the_specified_shapes() {
        let mut random = EventRandom::new(5, 1);
        for _ in 0..1_000 {
            let s = random.string(20);
            assert!(s.len() < 20 && !s.starts_with(' ') && !s.ends_with(' '), "{s:?}");
            assert!(s.chars().all(|c| c == ' ' || c.is_ascii_lowercase()));
            let extra = random.extra(32, 100);
            assert!((54..82).contains(&extra.len()), "{}", extra.len());
            assert!(extra.chars().all(|c| c.is_ascii_lowercase()));
        }
        assert_eq!(random.extra(300, 200), "");
    }

    #[test]
    fn prices_are_between_one_dollar_and_a_million() {
        let mut random = EventRandom::new(9, 2);
        let prices: Vec<u64> = (0..10_000).map(|_| random.price()).collect();
        assert!(prices.iter().all(|&p| (100..=100_000_000).contains(&p)));
        // Log-uniform: about a sixth of the prices below $10.
        let cheap = prices.iter().filter(|&&p| p < 1_000).count();
        assert!((1_400..=1_950).contains(&cheap), "{cheap}");
    }
}
