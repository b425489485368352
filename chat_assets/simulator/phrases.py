"""Phrase banks for simulated customer-service chats (Spanish mostly, some English and Portuguese).

Each line carries its polarity (+1, 0, -1) so the simulator can also emit a vendor's own
sentiment label. Slots in braces are filled per conversation.
"""

from __future__ import annotations

BRANDS = ["Tienda Andina", "ClaroPago", "Farmacias del Valle", "Motos Quito", "Óptica Luz", "Viajes Caribe"]
FIRST_NAMES = [
    "María José", "Juan Camilo", "Valentina", "Andrés", "Luisa Fernanda", "Santiago", "Camila", "Sebastián",
    "Daniela", "Alejandro", "Paola", "Jhon Fredy", "Yuliana", "Óscar", "Natalia", "Mateo", "Ximena", "José Luis",
    "Guadalupe", "Fernanda", "Iñaki", "Lucía", "Begoña", "Rodrigo", "Ana Paula", "João", "Emily", "Michael",
]
LAST_NAMES = [
    "Gómez", "Rodríguez", "Martínez", "Pérez", "López", "Hernández", "Ramírez", "Torres", "Castaño", "Muñoz",
    "Zambrano", "Quiñónez", "Villacís", "Ortiz", "Sánchez", "Ibáñez", "Souza", "Oliveira", "Smith", "Peña",
]
AGENTS = ["Laura Restrepo", "Carlos Mejía", "Diana Cárdenas", "Felipe Ortega", "Mónica Salazar", "Esteban Rojas"]
BOT_NAMES = ["Sofi", "Valeria", "Max", "Lupe"]
CITIES = ["Bogotá", "Medellín", "Cali", "Quito", "Guayaquil", "Ciudad de México", "Monterrey", "Madrid", "Barranquilla"]

# Per language: lines by role and purpose, each (text, polarity).
P = dict
BANK: dict[str, dict[str, list[tuple[str, int]]]] = {
    "es": P(
        hello=[("Hola", 0), ("Buenas tardes", 0), ("buenos días 👋", 0), ("Holaaa", 0), ("Buenas noches, una consulta", 0)],
        greet=[
            ("¡Hola! 👋 Soy {bot}, la asistente virtual de {brand}. ¿En qué te puedo ayudar hoy?", 0),
            ("Bienvenido a {brand}. Cuéntame qué necesitas y con gusto te ayudo.", 0),
            ("Hola {first}, gracias por escribir a {brand} 😊 Elige una opción: 1) Pedidos 2) Pagos 3) Citas 4) Asesor", 0),
        ],
        intent=[
            ("Quiero saber el estado de mi pedido {order}", 0),
            ("mi pedido {order} no ha llegado y ya pasaron 5 días 😡", -1),
            ("Necesito agendar una cita para el {date}", 0),
            ("Me llegó un cobro de ${amount} que no reconozco", -1),
            ("¿Cómo descargo mi factura del mes pasado?", 0),
            ("Quiero cambiar la dirección de entrega a {city}", 0),
            ("¿A qué hora abren el sábado?", 0),
            ("Pésimo servicio, llevo 3 días esperando respuesta", -1),
            ("hola necesito ayuda con un pago q no se reflejó", -1),
            ("Quisiera información sobre el plan de datos", 0),
            ("¿Tienen disponible el producto en talla M?", 0),
            ("Excelente la atención de la tienda de {city}, quería felicitarlos", 1),
        ],
        answer=[
            ("Tu pedido {order} está en camino 🚚 y llegará el {date}.", 0),
            ("Listo, tu cita quedó agendada para el {date} a las 10:00 a. m.", 1),
            ("Revisé tu cuenta: el cobro de ${amount} corresponde a la renovación anual.", 0),
            ("Puedes descargar tu factura en la sección Mis documentos de la app.", 0),
            ("Nuestro horario el sábado es de 8:00 a. m. a 1:00 p. m.", 0),
            ("Actualicé la dirección de entrega a {city}.", 0),
            ("El plan incluye 20 GB, llamadas ilimitadas y WhatsApp gratis.", 0),
            ("Sí, tenemos disponibilidad en talla M en la tienda de {city}.", 0),
        ],
        follow=[
            ("¿Y cuánto se demora?", 0),
            ("ok, ¿y si no estoy en casa?", 0),
            ("No entiendo por qué me cobran eso", -1),
            ("Perfecto, ¿me envían la confirmación al correo?", 0),
            ("eso no me sirve, ya lo intenté", -1),
            ("¿Puedo pagar con tarjeta de crédito?", 0),
            ("Gracias, ¿y el número de guía?", 0),
            ("no me llega el código de verificación", -1),
        ],
        reply=[
            ("Sí, te llegará un correo de confirmación en unos minutos.", 0),
            ("Claro, aceptamos tarjeta de crédito, débito y PSE.", 0),
            ("El número de guía es {order}-CO.", 0),
            ("La entrega toma entre 2 y 3 días hábiles.", 0),
            ("Si no estás, el mensajero intentará de nuevo al día siguiente.", 0),
        ],
        unclear=[("ajjaja", 0), ("???", 0), ("mmm", 0), ("eso no era lo que pregunté", -1), ("ok pero y?", 0), ("xq?", 0)],
        fallback=[
            ("Lo siento, no entendí tu mensaje. ¿Podrías escribirlo de otra forma?", 0),
            ("No logré comprenderte 🤔. Elige una opción del menú, por favor.", 0),
        ],
        handoff=[
            ("Te comunico con un asesor, un momento por favor ⏳", 0),
            ("Voy a transferir tu conversación a un agente humano.", 0),
        ],
        ask_agent=[("quiero hablar con un asesor", 0), ("Necesito una persona, no un robot", -1), ("asesor por favor", 0)],
        agent_hello=[
            ("Hola {first}, mi nombre es {agent} y con gusto te ayudo.", 1),
            ("Buenas, habla {agent}. Ya estoy revisando tu caso.", 0),
        ],
        agent_fix=[
            ("Ya quedó solucionado:\nel reembolso se verá reflejado en 48 horas; cualquier duda, me escribes.", 1),
            ("Revisé y el pedido salió hoy, disculpa la demora.", 0),
            ("Te confirmo que anulamos el cobro duplicado.", 1),
            ("Lamentablemente no es posible hacer el cambio después de despachado.", -1),
        ],
        thanks=[
            ("Muchas gracias, muy amable 🙏", 1),
            ("Perfecto, gracias!!", 1),
            ("Excelente servicio, mil gracias", 1),
            ("No me sirvió, sigo con el problema", -1),
            ("ok", 0),
            ("Qué mala atención, nunca resuelven nada", -1),
            ("Vale, quedo atento", 0),
        ],
        bye=[
            ("¡Gracias por escribirnos! Que tengas un excelente día ☀️", 1),
            ("Fue un gusto ayudarte. Si necesitas algo más, aquí estamos.", 1),
        ],
        agent_bye=[("¿Hay algo más en lo que te pueda ayudar?", 0), ("Gracias por tu paciencia, feliz tarde.", 1)],
        media_caption=[("te envío la foto del comprobante", 0), ("adjunto la factura", 0), ("mira cómo llegó el producto 😞", -1)],
    ),
    "en": P(
        hello=[("Hi", 0), ("Hello there", 0)],
        greet=[("Hi! I'm {bot}, {brand}'s virtual assistant. How can I help you today?", 0)],
        intent=[
            ("Where is my order {order}?", 0),
            ("I was charged ${amount} twice, this is unacceptable", -1),
            ("I need to book an appointment for {date}", 0),
            ("Great service at your {city} store, thanks!", 1),
        ],
        answer=[("Your order {order} is on its way and should arrive on {date}.", 0), ("Done, your appointment is booked.", 1)],
        follow=[("How long will it take?", 0), ("That doesn't help at all", -1)],
        reply=[("Delivery takes 2 to 3 business days.", 0)],
        unclear=[("??", 0), ("what", 0)],
        fallback=[("Sorry, I didn't understand that. Could you rephrase?", 0)],
        handoff=[("Let me connect you with an agent, one moment please.", 0)],
        ask_agent=[("I want to talk to a person", 0)],
        agent_hello=[("Hi {first}, this is {agent}, happy to help.", 1)],
        agent_fix=[("I've refunded the duplicate charge, you'll see it in 48 hours.", 1)],
        thanks=[("Thanks a lot, very helpful!", 1), ("Still not fixed, terrible.", -1), ("ok", 0)],
        bye=[("Thanks for reaching out. Have a great day!", 1)],
        agent_bye=[("Anything else I can help you with?", 0)],
        media_caption=[("here is the receipt", 0)],
    ),
    "pt": P(
        hello=[("Olá", 0), ("Boa tarde", 0)],
        greet=[("Olá! Sou {bot}, assistente virtual da {brand}. Como posso ajudar?", 0)],
        intent=[
            ("Quero saber onde está meu pedido {order}", 0),
            ("Fui cobrado duas vezes, péssimo atendimento", -1),
            ("Preciso marcar uma consulta para {date}", 0),
            ("Adorei o atendimento da loja de {city}", 1),
        ],
        answer=[("Seu pedido {order} está a caminho e chega em {date}.", 0), ("Pronto, sua consulta foi marcada.", 1)],
        follow=[("Quanto tempo demora?", 0), ("Não resolveu nada", -1)],
        reply=[("A entrega leva de 2 a 3 dias úteis.", 0)],
        unclear=[("??", 0), ("hein", 0)],
        fallback=[("Desculpe, não entendi. Pode repetir de outra forma?", 0)],
        handoff=[("Vou te transferir para um atendente, um momento.", 0)],
        ask_agent=[("quero falar com um atendente", 0)],
        agent_hello=[("Olá {first}, aqui é {agent}, vou te ajudar.", 1)],
        agent_fix=[("Já estornamos a cobrança duplicada.", 1)],
        thanks=[("Muito obrigado, ótimo atendimento!", 1), ("Continua sem solução, que horror.", -1), ("ok", 0)],
        bye=[("Obrigado pelo contato. Tenha um ótimo dia!", 1)],
        agent_bye=[("Posso ajudar em algo mais?", 0)],
        media_caption=[("segue o comprovante", 0)],
    ),
}
