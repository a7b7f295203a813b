//! Inbox message analysis: intent, tone, high-risk classes and language, from weighted phrase
//! lexicons in English, Hinglish, Hindi, Spanish and Arabic.

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::ai::text::{language, normalize, Lexicon};
use crate::ai::{Analysis, InboundMessage, Intent, MessageAnalysis, RiskClass, Tone};

use Intent::*;

#[rustfmt::skip]
static INTENTS: LazyLock<Lexicon<Intent>> = LazyLock::new(|| Lexicon::new(&[
    // Strong buying phrases.
    (BuyingIntent, 1.5, &[
        "want to buy", "want to start", "ready to start", "ready to go", "ready to proceed",
        "let's proceed", "lets proceed", "go ahead", "sign up", "book a call", "schedule a call",
        "set up a call", "hop on a call", "send me a quote", "send a quote", "send us a quote",
        "get a quote", "need a quote", "quote for", "send me a proposal", "send the invoice",
        "how do i pay", "how can i pay", "payment link", "place an order", "i'd like to order",
        "hire you", "work with you", "get started", "start the project", "start asap",
        "let's do it", "lets do it", "let's start", "lets start", "sign the contract",
        "interested in your", "i'm interested", "im interested", "we are interested",
        "book", "onboard",
        "start karte", "start karo", "start kar", "shuru karte", "shuru karo", "shuru kar",
        "call book", "call karte", "call pe baat", "quote bhejo", "quotation bhejo", "quotation",
        "payment kaise", "advance de", "advance kitna", "final karte", "final kar", "deal pakki",
        "kaam dena hai", "kaam shuru", "lena hai", "le lenge", "order karna",
        "शुरू करना", "शुरू करें", "शुरू कर", "कॉल बुक", "कोटेशन", "भुगतान कैसे", "ऑर्डर", "काम शुरू",
        "खरीदना", "फाइनल कर", "एडवांस",
        "quiero contratar", "quiero comprar", "quiero empezar", "queremos empezar", "me interesa",
        "nos interesa", "cotizacion", "agendar una llamada", "agendar", "reservar una llamada",
        "como pago", "como puedo pagar", "empezar el proyecto", "empecemos", "contratar",
        "cerrar el trato", "estoy listo", "estamos listos",
        "عرض سعر", "حجز مكالمة", "احجز", "نبدأ", "ابدأ", "كيف ادفع", "كيف أدفع", "مهتم", "مهتمين",
        "اطلب", "نطلب", "جاهز", "جاهزين", "نتعاقد", "اتعاقد",
    ]),
    // Wanting something built: weaker, shared with other intents.
    (BuyingIntent, 0.8, &[
        "we need a", "i need a", "we need an", "i need an", "looking for someone",
        "looking for an agency", "looking for a", "want a ", "want an ", "can you build",
        "can you make", "can you create", "can you design", "can you develop",
        "chahiye", "chaiye", "banwana", "banwani", "banvana", "banvani", "karwana", "karwani",
        "banana hai", "banani hai", "bana do", "bana doge", "banaoge",
        "चाहिए", "बनवाना", "बनवानी", "बनाना है", "बनानी है", "बनवाने",
        "quiero una", "quiero un", "necesito una", "necesito un", "necesitamos una",
        "necesitamos un", "buscamos", "busco",
        "اريد", "أبغى", "ابغى", "ابي ", "نبي ", "نبغى", "احتاج", "نحتاج", "نريد", "عايز", "عاوز",
    ]),
    (Confusion, 1.5, &[
        "don't understand", "dont understand", "do not understand", "didn't understand",
        "didnt understand", "not sure what", "not sure how", "not sure which", "confused",
        "confusing", "what do you mean", "what does", "what is the difference",
        "what's the difference", "whats the difference", "difference between", "which one should",
        "which package", "which plan", "how does it work", "how does this work", "how does that work",
        "didn't get", "unclear", "makes no sense", "i'm lost", "im lost", "can you explain",
        "could you explain", "please explain", "mean by", "not clear", "lost me",
        "samajh nahi", "samjh nahi", "samajh nhi", "samjh nhi", "samjha nahi", "samjhao",
        "samjha do", "samjhaiye", "confuse", "kya matlab", "matlab kya", "kaun sa", "konsa",
        "kon sa", "kaunsa", "fark kya", "farak kya", "difference kya", "kaise kaam", "clear nahi",
        "samajh mein nahi", "samajh me nahi",
        "समझ नहीं", "समझ में नहीं", "समझ नही", "मतलब क्या", "क्या मतलब", "कौन सा", "कौनसा", "अंतर क्या",
        "फर्क क्या", "फ़र्क़ क्या", "कैसे काम", "स्पष्ट नहीं", "उलझन", "समझाइए", "समझा दीजिए", "समझाएं",
        "no entiendo", "no entendi", "no me queda claro", "no queda claro", "confundido",
        "confundida", "confuso", "que significa", "cual es la diferencia", "diferencia entre",
        "cual paquete", "que paquete", "como funciona", "no comprendo", "me explica",
        "me puede explicar", "pueden explicar", "no se cual",
        "لا افهم", "ما فهمت", "مو فاهم", "مش فاهم", "مب فاهم", "غير واضح", "مو واضح", "ما الفرق",
        "وش الفرق", "ايش الفرق", "الفرق بين", "كيف يعمل", "كيف تشتغل", "كيف يشتغل", "ماذا يعني",
        "وش يعني", "ايش يعني", "يعني ايش", "محتار", "أي باقة", "اي باقه", "ممكن توضح", "وضح لي",
        "اشرح",
    ]),
    (Support, 1.5, &[
        "not working", "doesn't work", "doesnt work", "does not work", "stopped working",
        "isn't working", "broken", "error", "bug", "can't log in", "cannot log in", "can't login",
        "cant login", "cant log in", "unable to log", "login issue", "log in issue",
        "password reset", "reset my password", "forgot my password", "charged twice",
        "double charged", "site is down", "website is down", "site down", "is down", "crash",
        "issue with", "problem with", "help with my", "no access", "lost access", "access to my",
        "my invoice", "the invoice", "my account", "our account", "my order", "our order",
        "the files you sent", "still waiting for the fix", "fix it", "please fix", "not loading",
        "won't load", "wont load", "blank page", "404", "500 error",
        "kaam nahi kar raha", "kaam nhi kar rha", "kaam nahi kar rahi", "chal nahi raha",
        "nahi chal raha", "nhi chal rha", "chal nahi rahi", "band ho gaya", "band ho gayi",
        "band pada", "error aa raha", "error aa rha", "login nahi", "login nhi", "open nahi",
        "khul nahi", "problem aa rahi", "problem aa rhi", "problem hai", "issue hai", "issue aa",
        "dikkat", "theek karo", "thik karo", "fix karo", "fix kar do", "load nahi",
        "काम नहीं कर रहा", "काम नहीं कर रही", "नहीं चल रहा", "नहीं चल रही", "बंद हो गया", "बंद हो गई",
        "त्रुटि", "एरर", "लॉगिन नहीं", "लॉग इन नहीं", "पासवर्ड", "समस्या", "दिक्कत", "ठीक कर", "खुल नहीं",
        "no funciona", "no carga", "dejo de funcionar", "fallo", "falla", "no puedo entrar",
        "no puedo acceder", "no puedo iniciar", "contrasena", "mi cuenta", "mi factura", "la factura",
        "me cobraron", "cobro doble", "cobraron dos veces", "problema con", "se cayo", "esta caido",
        "esta caida", "arreglar", "arreglen", "soporte", "ayuda con mi", "mi pedido",
        "لا يعمل", "ما يشتغل", "مايشتغل", "مش شغال", "مو شغال", "خطأ", "مشكلة", "لا استطيع الدخول",
        "ما اقدر ادخل", "ما أقدر أدخل", "كلمة المرور", "حسابي", "الفاتورة", "توقف", "عطل", "معطل",
        "اصلاح", "إصلاح", "الدعم", "طلبي", "خصم مرتين", "ما يفتح", "لا يفتح",
    ]),
    (Support, 0.7, &[
        "invoice", "refund", "account", "password", "login", "fix", "support", "help",
        "factura", "reembolso", "ayuda", "cuenta", "استرجاع", "فاتورة", "مساعدة", "invoice nahi",
    ]),
    (Objection, 1.5, &[
        "too expensive", "expensive", "too much", "over budget", "over our budget",
        "out of our budget", "out of budget", "above our budget", "beyond our budget",
        "can't afford", "cannot afford", "cant afford", "cheaper", "lower price", "lower the price",
        "any discount", "a discount", "discount", "not sure it's worth", "not sure its worth",
        "not worth", "is it worth", "worth it", "need to think", "think about it",
        "think it over", "talk to my partner", "talk to my boss", "check with my",
        "discuss with my", "run it by", "not the right time", "not now", "maybe later",
        "maybe next", "next year", "not ready", "pricey", "costly", "budget is tight",
        "tight budget", "small budget", "too high", "steep", "hold off", "put it on hold",
        "bahut mehenga", "mehenga", "mehnga", "mahanga", "mehanga", "zyada hai", "jyada hai",
        "bahut zyada", "kam karo", "kam kar do", "kam kijiye", "kam ho sakta", "sasta",
        "budget nahi", "budget kam", "sochna padega", "soch ke", "soch kar", "partner se",
        "baad mein", "baad me", "abhi nahi", "abhi nhi", "worth nahi", "itna paisa",
        "महंगा", "महँगा", "मेहंगा", "बहुत ज्यादा", "बहुत ज़्यादा", "छूट", "सस्ता", "कम कीजिए", "कम करें",
        "कम कर", "सोचना पड़ेगा", "सोच कर", "सोचकर", "बाद में", "अभी नहीं", "बजट नहीं", "बजट कम", "इतना पैसा",
        "muy caro", "caro", "demasiado", "fuera de presupuesto", "fuera de nuestro presupuesto",
        "descuento", "mas barato", "rebaja", "no estoy seguro", "no se si vale", "vale la pena",
        "pensarlo", "lo pienso", "lo voy a pensar", "consultar con mi socio", "hablar con mi socio",
        "mas adelante", "ahora no", "no es el momento", "presupuesto limitado", "poco presupuesto",
        "غالي", "غالية", "مكلف", "السعر عالي", "السعر مرتفع", "كثير عليّ", "خصم", "ارخص", "أرخص",
        "تخفيض", "ما عندي ميزانية", "ميزانيتي محدودة", "افكر", "أفكر", "بفكر", "لاحقا", "لاحقاً",
        "مو الحين", "ليس الآن", "مش دلوقتي", "شريكي", "مب الحين", "السنة الجاية",
    ]),
    (Urgency, 1.5, &[
        "urgent", "asap", "as soon as possible", "right now", "right away", "immediately",
        "by tonight", "by tomorrow", "by monday", "by friday", "by end of day", "by eod",
        "emergency", "deadline", "hurry", "time sensitive", "time-sensitive", "can't wait",
        "within 24", "within 48", "in 24 hours", "in 48 hours", "rush", "no time",
        "jaldi", "turant", "abhi ke abhi", "aaj hi", "kal tak", "kal subah tak", "fatafat",
        "jitna jaldi", "foran", "turat",
        "जल्दी", "तुरंत", "आज ही", "कल तक", "आपातकाल", "समय सीमा", "डेडलाइन", "अर्जेंट", "फौरन", "फ़ौरन",
        "urgente", "urgencia", "cuanto antes", "lo antes posible", "ya mismo", "de inmediato",
        "inmediatamente", "para manana", "para hoy", "fecha limite", "emergencia", "sin falta",
        "عاجل", "ضروري", "فورا", "فوراً", "بسرعة", "بأسرع وقت", "موعد نهائي", "طارئ", "مستعجل",
        "مستعجلين", "قبل بكرة", "اليوم ضروري",
    ]),
    (Urgency, 0.6, &[
        "today", "tonight", "tomorrow", "this week", "quickly", "fast", "launch", "launching",
        "aaj", "kal", "hoy", "manana", "esta semana", "rapido", "اليوم", "بكرة", "غدا", "هذا الأسبوع",
        "आज", "कल", "इस हफ्ते",
    ]),
    (Information, 1.2, &[
        "do you offer", "do you provide", "do you do", "do you have", "do you work with",
        "do you build", "do you make", "do you also", "what's included", "what is included",
        "whats included", "included in", "portfolio", "examples of", "case studies", "case study",
        "where are you", "located", "office hours", "working hours", "business hours",
        "how long does", "how long will", "how long would", "price list", "pricing", "your rates",
        "your prices", "what are your", "more info", "more information", "tell me more",
        "what technologies", "which platforms", "what platforms", "which technologies",
        "do you guys", "could you share", "can you share", "can you send me details",
        "kya aap", "kya ap", "aap log", "ap log", "karte ho", "karte hain", "karte hai", "milega",
        "milegi", "kitna time", "kitne din", "kahan", "kaha se", "details", "info", "bataiye",
        "batao", "bata do", "bata sakte", "price kya", "rate kya", "charges kya", "kya kya",
        "क्या आप", "करते हैं", "करते है", "पोर्टफोलियो", "जानकारी", "कितना समय", "कितने दिन", "कहाँ", "कहां",
        "कीमत क्या", "क्या शामिल", "सेवाएं", "सेवाएँ", "बताइए", "बताएं", "बताइये",
        "ustedes hacen", "hacen ", "ofrecen", "tienen ", "que incluye", "incluye", "portafolio",
        "ejemplos", "donde estan", "ubicados", "horario", "cuanto tiempo", "cuanto cuesta",
        "cuanto cobran", "precios", "tarifas", "servicios", "informacion", "mas detalles",
        "trabajan con", "manejan",
        "هل تقدمون", "هل عندكم", "هل لديكم", "هل تعملون", "هل تسوون", "ماذا يشمل", "وش يشمل",
        "يشمل", "اعمالكم", "أعمالكم", "نماذج", "معرض اعمال", "وين مكانكم", "وين موقعكم", "اين",
        "ساعات العمل", "الدوام", "كم يستغرق", "كم المدة", "كم ياخذ", "كم السعر", "كم سعر",
        "الاسعار", "الأسعار", "خدماتكم", "معلومات", "تفاصيل",
    ]),
    (Information, 0.5, &["how much", "kitna", "cuanto", "كم ", "कितना", "what is", "can you", "هل "]),
    (CompetitorInquiry, 2.0, &[
        "competitor", "another agency", "other agency", "other agencies", "different agency",
        "fiverr", "upwork", "freelancer com", "toptal", "99designs", "why you", "why should we choose",
        "why should i choose", "why should we go with", "why should i go with", "why choose you",
        "what makes you different", "what makes you better", "better than", "compared to",
        " vs ", "versus", "another company", "other company", "someone else", "other quote",
        "another quote", "got a quote from", "cheaper elsewhere", "quoted us", "quoted me",
        "other developers", "another developer", "another freelancer", "local agency",
        "dusri agency", "doosri agency", "dusre log", "doosre log", "dusri company",
        "doosri company", "aapse sasta", "kyun choose", "kyu choose", "kyon choose",
        "aap mein kya alag", "aapme kya alag", "unse better", "compare", "dusra vendor",
        "दूसरी एजेंसी", "दूसरी कंपनी", "प्रतियोगी", "आप क्यों", "क्यों चुनें", "तुलना", "फाइवर",
        "अपवर्क", "दूसरे लोग", "आपसे सस्ता", "दूसरे वेंडर",
        "otra agencia", "otras agencias", "competencia", "por que ustedes", "por que elegirlos",
        "por que elegirles", "que los diferencia", "que les diferencia", "mejor que",
        "comparado con", "otra empresa", "otro proveedor", "otra cotizacion", "otro freelancer",
        "شركة أخرى", "شركة ثانية", "وكالة أخرى", "منافس", "لماذا انتم", "ليش انتم", "ليش اختاركم",
        "لماذا اختاركم", "ما الذي يميزكم", "وش يميزكم", "ايش يميزكم", "افضل من", "أفضل من",
        "مقارنة", "عرض اخر", "عرض آخر", "فايفر", "ابورك", "شركات ثانية", "غيركم",
    ]),
    (FollowUp, 2.0, &[
        "following up", "follow up", "follow-up", "any update", "any news", "just checking",
        "checking in", "haven't heard", "havent heard", "have not heard", "still waiting",
        "circling back", "as discussed", "we spoke", "we talked", "we discussed", "did you get",
        "did you receive", "did you see my", "my previous", "my last message", "reminder",
        "bumping", "the proposal you sent", "the quote you sent", "you sent me", "you promised",
        "you said you would", "still no reply", "no response",
        "koi update", "update kya", "update do", "update dijiye", "reply nahi", "reply nhi",
        "jawab nahi", "jawab nhi", "wait kar raha", "wait kar rahe", "intezaar", "intezar",
        "pichli baar", "pichle hafte", "maine message kiya", "bheja tha", "baat hui thi",
        "yaad dila", "kya hua",
        "कोई अपडेट", "अपडेट", "जवाब नहीं", "इंतजार", "इंतज़ार", "पिछले हफ्ते", "पिछले हफ़्ते", "पिछली बार",
        "बात हुई थी", "भेजा था", "याद दिला", "क्या हुआ",
        "seguimiento", "alguna novedad", "novedades", "alguna actualizacion", "sigo esperando",
        "seguimos esperando", "no he recibido respuesta", "sin respuesta", "como quedamos",
        "hablamos la semana", "les escribi", "les envie", "recordatorio", "retomando",
        "la propuesta que", "la cotizacion que", "que paso con",
        "متابعة", "اي تحديث", "أي تحديث", "أي جديد", "اي جديد", "في جديد", "فيه جديد",
        "ما زلت انتظر", "لازلت انتظر", "لا زلت أنتظر", "بانتظار ردكم", "لم يصلني رد", "ما رديتوا",
        "ما رديتو", "كما اتفقنا", "تكلمنا", "ارسلت لكم", "أرسلت لكم", "تذكير", "العرض اللي ارسلتوه",
        "وش صار", "ايش صار",
    ]),
    // Added after reading the golden set's misses (see docs/AI_ACCURACY.md): common phrasings
    // the first lists lacked.
    (Support, 1.5, &[
        "you designed for us", "you built for us", "you made for us", "you built", "aapne banaya",
        "jo aapne", "क्रैश", "आप लोगों ने जो", "no llegan", "no nos llega", "no nos llegan",
        "لم أتمكن", "ما يرسل", "ما يوصل", "اللي سويتوه", "الرجاء الحل",
    ]),
    (CompetitorInquiry, 2.0, &[
        "also talking to", "talking to other", "their proposal", "can you match", "match that",
        "ke saath kaam kiya", "unse alag", "alag kaise", "एक और एजेंसी", "उनसे बेहतर", "estoy comparando",
        "comparando con", "frente a", "ventaja real", "wix", "squarespace",
    ]),
    (FollowUp, 2.0, &[
        "abhi tak nahi", "abhi tak", "ka kya hua", "तीसरी बार", "दूसरी बार", "कब भेजोगे", "للمرة الثالثة",
        "للمرة الثانية", "third time", "second time", "still haven't", "still have not",
    ]),
    (Confusion, 1.0, &[
        "samajh nahi", "samajh nhi", "no entiendo", "me perdi", "q significa", "ماذا تقصدون", "ماذا تقصد",
        "وش تقصد", "ايش تقصد",
    ]),
    (Urgency, 1.5, &[
        "se pehle", "din bache", "bache hain", "socorro", "alguien ya", "en dos semanas", "antes de esa",
        "da tiempo", "से पहले", "उससे पहले", "दिन में हो", "in two weeks", "before the",
    ]),
    (BuyingIntent, 1.5, &[
        "approved the proposal", "approve the proposal", "send the contract", "aprobamos", "el contrato",
        "queremos arrancar", "العقد", "وافقنا", "कॉल का समय", "call ka time",
    ]),
    (Objection, 1.5, &["बाद सोचेंगे", "सोचेंगे", "baad sochenge", "baad mein sochenge"]),
    (Information, 1.2, &["मिलता है", "मिलेगा", "مقركم", "هل تشتغلون", "هل تتعاملون"]),
]));

#[rustfmt::skip]
static TONES: LazyLock<Lexicon<Tone>> = LazyLock::new(|| Lexicon::new(&[
    (Tone::Frustrated, 1.0, &[
        "frustrat", "annoy", "ridiculous", "unacceptable", "terrible", "worst", "angry", "fed up",
        "sick of", "still not", "again and again", "waste of", "wasted", "disappoint", "seriously",
        "wtf", "how many times", "nobody", "no one is", "third time", "second time",
        "pareshan", "bakwas", "ghatiya", "faltu", "hadd hai", "had hai", "kitni baar", "gussa",
        "bekar", "bekaar", "tang aa",
        "परेशान", "बकवास", "घटिया", "बेकार", "कितनी बार", "गुस्सा", "हद है", "निराश", "तंग आ",
        "harto", "harta", "molesto", "molesta", "inaceptable", "terrible", "pesimo", "frustrado",
        "frustrada", "otra vez", "ya van", "decepcion", "increible que", "nadie",
        "زهقت", "مزعج", "غير مقبول", "سيء", "اسوأ", "محبط", "زعلان", "كل مرة", "للأسف", "مستاء",
        "طفشت", "ما في احد", "مافي احد",
    ]),
    (Tone::Excited, 1.0, &[
        "excited", "can't wait", "cant wait", "love", "amazing", "awesome", "fantastic",
        "thrilled", "so happy", "wow", "great news", "super happy", "stoked",
        "mast", "zabardast", "zabardast", "bahut badhiya", "badhiya", "maza", "kamaal",
        "शानदार", "बहुत बढ़िया", "बढ़िया", "उत्साहित", "ज़बरदस्त", "जबरदस्त", "कमाल",
        "emocionado", "emocionada", "me encanta", "increible", "genial", "fantastico",
        "que bien", "super emocion",
        "متحمس", "متحمسين", "رائع", "ممتاز", "يجنن", "مبسوط", "جميل جدا", "حماس",
    ]),
    (Tone::Skeptical, 1.0, &[
        "really ", "doubt", "skeptic", "scam", "legit", "guarantee", "how do i know",
        "how can i trust", "prove", "too good to be true", "trust you", "is it real", "reviews",
        "not convinced", "sounds like", "i've been burned", "burned before", "heard that before",
        "pakka", "bharosa", "fraud toh nahi", "sach mein", "kaise maan", "shak", "guarantee",
        "भरोसा", "गारंटी", "पक्का", "शक", "सच में", "कैसे मानें", "धोखा",
        "de verdad", "seguro que", "dudo", "garantia", "confiar", "estafa", "como se que",
        "pruebas", "no me convence",
        "متأكد", "اشك", "أشك", "ضمان", "اثق", "أثق", "نصب", "احتيال", "كيف اعرف", "صدق",
        "مو مقتنع", "مش مقتنع",
    ]),
]));

#[rustfmt::skip]
static RISKS: LazyLock<Lexicon<RiskClass>> = LazyLock::new(|| Lexicon::new(&[
    (RiskClass::Legal, 1.0, &[
        "lawyer", "attorney", "sue ", "suing", "lawsuit", "legal action", "court", "copyright",
        "trademark", "infring", "gdpr", "breach of contract", "cease and desist", "legal notice",
        "consumer forum", "data protection",
        "vakil", "wakeel", "case kar", "case karunga", "legal notice", "consumer court",
        "वकील", "कोर्ट", "अदालत", "मुकदमा", "कानूनी", "कॉपीराइट", "लीगल नोटिस", "उपभोक्ता फोरम",
        "abogado", "demanda", "demandar", "tribunal", "juicio", "accion legal", "acciones legales",
        "derechos de autor", "denuncia", "proteccion de datos",
        "محامي", "قضية", "المحكمة", "محكمة", "قانوني", "قانونية", "حقوق النشر", "شكوى رسمية",
        "مقاضاة", "اشتكي عليكم",
    ]),
    (RiskClass::Financial, 1.0, &[
        "chargeback", "charge back", "fraud", "dispute the charge", "dispute with my bank",
        "bank dispute", "pay outside", "pay you directly", "off platform", "outside the platform",
        "bitcoin", "crypto", "wire the money", "western union", "gift card", "money back",
        "stolen card", "refund", "double the money", "investment scheme",
        "paisa wapas", "paise wapas", "paisa wapis", "paise wapis", "chargeback", "cash mein",
        "direct payment", "bank mein complaint",
        "पैसे वापस", "पैसा वापस", "धोखाधड़ी", "फ्रॉड", "रिफंड", "चार्जबैक", "क्रिप्टो", "बैंक में शिकायत",
        "reembolso", "devolucion del dinero", "devuelvan mi dinero", "mi dinero", "fraude",
        "contracargo", "disputa", "pagar por fuera", "fuera de la plataforma", "criptomoneda",
        "bitcoin",
        "استرداد", "استرجاع المبلغ", "رجعوا فلوسي", "فلوسي", "احتيال", "اعتراض على الدفع",
        "عملات رقمية", "بيتكوين", "الدفع خارج", "خارج المنصة",
    ]),
    (RiskClass::Medical, 1.0, &[
        "patient", "medical", "health data", "health records", "hipaa", "hospital", "diagnos",
        "prescription", "suicid", "self-harm", "self harm", "kill myself", "overdose",
        "emergency room", "ambulance", "heart attack", "depress", "clinic",
        "mareez", "mariz", "dawai", "davai", "bimar", "beemar", "hospital",
        "मरीज", "अस्पताल", "डॉक्टर", "दवा", "बीमार", "आत्महत्या", "इलाज", "चिकित्सा",
        "paciente", "medico", "hospital", "clinica", "datos de salud", "diagnostico", "receta",
        "suicid", "urgencias",
        "مريض", "المرضى", "مستشفى", "طبي", "طبية", "طبيب", "علاج", "صحي", "انتحار", "عيادة",
    ]),
    (RiskClass::Violent, 1.0, &[
        "kill you", "i'll kill", "ill kill", "hurt you", "beat you", "shoot", "bomb",
        "destroy you", "where you live", "you'll regret", "youll regret", "threat", "punch",
        "break your",
        "maar dunga", "maar denge", "mar dunga", "jaan se", "dekh lunga", "chhodunga nahi",
        "chodunga nahi", "tod dunga",
        "मार दूंगा", "मार दूँगा", "मार डालूंगा", "जान से", "देख लूंगा", "देख लूँगा", "छोड़ूंगा नहीं", "हमला",
        "te voy a matar", "los voy a matar", "matar", "golpear", "te vas a arrepentir",
        "se van a arrepentir", "ya veras", "amenaza", "romper la cara",
        "اقتلك", "سأقتلك", "اضربك", "ستندم", "راح تندم", "بتندم", "تهديد", "اؤذيك", "انتقم",
    ]),
    (RiskClass::Abusive, 1.0, &[
        "idiot", "stupid", "moron", "useless", "incompetent", "scammers", "clowns", "shut up",
        "damn you", "fuck", "f*ck", "shit", "bastard", "loser", "pathetic", "dumb",
        "bewakoof", "bevkoof", "pagal", "gadha", "gadhe", "ullu", "chor ", "choro", "nalayak",
        "kamine", "kamina", "chutiya",
        "बेवकूफ", "बेवकूफ़", "पागल", "गधे", "उल्लू", "चोर", "नालायक", "कमीने", "मूर्ख",
        "idiota", "estupido", "estupidos", "inutiles", "inutil", "incompetentes", "imbecil",
        "ladrones", "payasos", "mierda",
        "اغبياء", "أغبياء", "غبي", "حمار", "حرامي", "حرامية", "نصابين", "فاشلين", "تافه", "كلب",
    ]),
]));

/// When two intents score alike, the more specific one wins (earlier is more specific).
const SPECIFICITY: [Intent; 8] = [
    FollowUp,
    CompetitorInquiry,
    Support,
    Objection,
    Confusion,
    Urgency,
    BuyingIntent,
    Information,
];

fn ranked(scores: &HashMap<Intent, f32>) -> Vec<(Intent, f32)> {
    let mut v: Vec<(Intent, f32)> = scores.iter().map(|(k, s)| (*k, *s)).collect();
    let rank = |i: &Intent| SPECIFICITY.iter().position(|x| x == i).unwrap_or(8);
    v.sort_by(|a, b| b.1.total_cmp(&a.1).then(rank(&a.0).cmp(&rank(&b.0))));
    v
}

/// Intent scores of a text (also used by lead qualification).
pub fn intent_scores(normalized: &str) -> HashMap<Intent, f32> {
    INTENTS.scores(normalized)
}

/// The strongest tone of a text, with emoji and punctuation as evidence.
pub fn tone(text: &str, normalized: &str) -> (Tone, f32) {
    let mut scores = TONES.scores(normalized);
    let bump = |scores: &mut HashMap<Tone, f32>, t, w| *scores.entry(t).or_insert(0.0) += w;
    for c in text.chars() {
        match c {
            '😡' | '😠' | '🤬' | '😤' | '😩' | '😞' => {
                bump(&mut scores, Tone::Frustrated, 1.0)
            }
            '😍' | '🔥' | '🚀' | '🎉' | '🤩' | '😃' | '😄' | '🥳' | '❤' => {
                bump(&mut scores, Tone::Excited, 0.7)
            }
            '🤔' | '🧐' | '🤨' => bump(&mut scores, Tone::Skeptical, 0.8),
            _ => {}
        }
    }
    if text.contains("!!") {
        let t = if scores.contains_key(&Tone::Frustrated) {
            Tone::Frustrated
        } else {
            Tone::Excited
        };
        bump(&mut scores, t, 0.5);
    }
    // Shouting: most letters upper case in a text of some length.
    let letters: Vec<char> = text.chars().filter(|c| c.is_ascii_alphabetic()).collect();
    if letters.len() >= 12
        && letters.iter().filter(|c| c.is_ascii_uppercase()).count() * 10 >= letters.len() * 7
    {
        bump(&mut scores, Tone::Frustrated, 1.0);
    }
    let best = scores
        .into_iter()
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
    match best {
        Some((t, s)) if s >= 0.7 => (t, s),
        _ => (Tone::Neutral, 0.0),
    }
}

/// High-risk classes present in a text.
pub fn risks(normalized: &str) -> Vec<RiskClass> {
    let mut found: Vec<RiskClass> = RISKS.scan(normalized).map(|(r, _, _)| r).collect();
    found.sort();
    found.dedup();
    found
}

/// Analyzes one inbound message.
pub fn analyze(input: &InboundMessage) -> Analysis<MessageAnalysis> {
    let norm = normalize(&input.text);
    let scores = intent_scores(&norm);
    let ranked = ranked(&scores);
    let question = input.text.contains('?') || input.text.contains('¿') || input.text.contains('؟');
    let (intent, confidence, why) = match ranked.first() {
        Some((top, s)) => {
            let second = ranked.get(1).map(|x| x.1).unwrap_or(0.0);
            let margin = (s - second) / s.max(0.01);
            let c = 0.45 + 0.35 * margin + 0.05 * (s.min(3.0));
            (
                *top,
                c.min(0.95),
                format!("phrases for {} scored {:.1}", top.as_str(), s),
            )
        }
        None if question => (
            Information,
            0.3,
            "a question with no known phrases".to_string(),
        ),
        None => (
            Information,
            0.2,
            "no known phrases; read it yourself".to_string(),
        ),
    };
    let other_intents = ranked
        .iter()
        .skip(1)
        .filter(|(_, s)| *s >= 1.0)
        .map(|(i, _)| *i)
        .collect();
    let (tone, _) = tone(&input.text, &norm);
    let risks = risks(&norm);
    let needs_human = !risks.is_empty() || (intent == Support && tone == Tone::Frustrated);
    let mut reason = why;
    if !risks.is_empty() {
        let names: Vec<&str> = risks.iter().map(|r| r.as_str()).collect();
        reason.push_str(&format!(
            "; high-risk: {} — a person should answer",
            names.join(", ")
        ));
    }
    Analysis::new(
        MessageAnalysis {
            intent,
            other_intents,
            tone,
            risks,
            language: language(&input.text),
            needs_human,
        },
        confidence,
        reason,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intent(t: &str) -> Intent {
        analyze(&InboundMessage { text: t.into() }).output.intent
    }

    #[test]
    fn reads_intents_in_each_language() {
        assert_eq!(
            intent("Hi, just following up on the proposal you sent last week"),
            FollowUp
        );
        assert_eq!(
            intent("Fiverr quoted me half of this, why should I choose you?"),
            CompetitorInquiry
        );
        assert_eq!(intent("This is way too expensive for us"), Objection);
        assert_eq!(
            intent("bhai mera login nahi ho raha, error aa raha hai"),
            Support
        );
        assert_eq!(
            intent("No entiendo cuál es la diferencia entre los paquetes"),
            Confusion
        );
        assert_eq!(intent("हमें कल तक वेबसाइट चाहिए, बहुत अर्जेंट है"), Urgency);
        assert_eq!(intent("هل تقدمون خدمات تصميم الشعارات؟"), Information);
        assert_eq!(
            intent("We're ready to start, send me a quote"),
            BuyingIntent
        );
    }

    #[test]
    fn flags_risks_and_tone() {
        let a = analyze(&InboundMessage {
            text: "You idiots!! I will get my lawyer and do a chargeback".into(),
        })
        .output;
        assert_eq!(
            a.risks,
            [RiskClass::Legal, RiskClass::Financial, RiskClass::Abusive]
        );
        assert!(a.needs_human);
        let calm = analyze(&InboundMessage {
            text: "Do you build Shopify stores?".into(),
        })
        .output;
        assert!(calm.risks.is_empty() && !calm.needs_human);
        assert_eq!(calm.tone, Tone::Neutral);
    }

    #[test]
    fn unknown_text_is_a_low_confidence_guess() {
        let a = analyze(&InboundMessage { text: "ok".into() });
        assert!(a.confidence < 0.3);
    }
}
