"""Spanish phrase material. Frames use the preterite, which needs no agreement with the object."""
from . import Phrasebook, Site, Topic

CIUDAD = Topic(
    name="city",
    subjects=("el ayuntamiento", "la alcaldesa", "una asociación vecinal", "la empresa de transportes",
              "el servicio de parques", "un colectivo de vecinos", "la comisión de urbanismo", "la junta del agua",
              "un grupo de comerciantes", "el cuerpo de bomberos", "la biblioteca municipal", "el club deportivo"),
    verbs=("aprobó", "rechazó", "presentó", "aplazó", "debatió", "celebró", "criticó", "anunció", "revisó",
           "financió", "estudió", "apoyó"),
    objects=("un nuevo carril bici", "el borrador del presupuesto", "un horario más amplio",
             "una línea de autobús", "el plan del puerto", "un programa de arbolado", "los permisos de aparcamiento",
             "el dique contra inundaciones", "un mercado nocturno", "la reparación del puente", "un fondo juvenil",
             "el contrato de reciclaje"),
    places=("en el salón de plenos", "en el antiguo mercado", "durante una reunión concurrida", "en una carta abierta",
            "en el centro cívico", "en la radio local", "en la sesión de la tarde", "ante la prensa",
            "cerca de la estación", "en la sala del consejo"),
    times=("el martes", "la semana pasada", "a principios de mes", "tras meses de retraso", "esta primavera",
           "el jueves por la tarde", "antes del verano", "el viernes por la noche", "a comienzos de marzo",
           "durante el fin de semana"),
)

COCINA = Topic(
    name="food",
    subjects=("la panadería del mercado", "un joven cocinero", "la cooperativa agrícola", "nuestra cocina de pruebas",
              "un restaurante familiar", "la quesería del pueblo", "una escritora gastronómica", "el comedor escolar",
              "un vendedor ambulante", "el club de cocina", "una hortelana", "la nueva cafetería"),
    verbs=("preparó", "sirvió", "probó", "perfeccionó", "compartió", "simplificó", "reinventó", "recomendó",
           "cocinó", "horneó", "vendió", "recuperó"),
    objects=("un pan de centeno", "unas lentejas guisadas", "una tarta de peras", "unas albóndigas de hierbas",
             "una sopa de tomate", "un bizcocho de manzana", "unas verduras asadas", "una ensalada de cebada",
             "unas tortitas de suero", "un guiso de setas", "una coca de cebolla", "una mermelada de ciruela"),
    places=("para la fiesta de la vendimia", "en un horno de leña", "en el mercado del sábado",
            "para una cena benéfica", "en una cocina diminuta", "en la feria gastronómica", "para la fiesta escolar",
            "en sartenes de hierro", "en un hornillo de camping", "para el menú de invierno"),
    times=("este otoño", "cada domingo por la mañana", "por primera vez", "el fin de semana pasado",
           "en menos de una hora", "tras muchas pruebas", "dos veces por semana", "desde enero", "esta temporada",
           "en una tarde lluviosa"),
)

BOOK = Phrasebook(
    code="es",
    frames=(
        "{S} {V} {O} {P} {T}.",
        "{T}, {S} {V} {O} {P}.",
        "{C} {S} {V} {O} {T}.",
        "{S} {V} {O} {T}, y {S2} {V2} {O2} {P}.",
        "{P}, {S} {V} {O} {T}.",
    ),
    title_frame="{S} {V} {O}",
    connectors=("Además,", "Al mismo tiempo,", "Mientras tanto,", "Poco después,", "Como estaba previsto,",
                "Una vez más,", "Por último,"),
    remarks=(
        "Varios lectores nos escribieron para decir que llevaban años esperando algo así.",
        "No todos quedaron convencidos, y ya hay prevista una segunda reunión.",
        "Los detalles se publicarán en el tablón de anuncios la próxima semana.",
        "Nadie esperaba una decisión tan rápida.",
        "Las fotos de la jornada están reunidas en la galería de abajo.",
        "¿Quién pagará la obra? Esa pregunta sigue sin respuesta.",
        "Los críticos recuerdan que los costes todavía no están claros.",
        "Quien quiera participar puede apuntarse en la recepción.",
    ),
    topics=(CIUDAD, COCINA),
    sites=(
        Site("El Diario del Puerto", "www.diario-del-puerto.example", "Noticias de la costa"),
        Site("La Voz del Valle", "lavozdelvalle.example", "Información local independiente"),
        Site("Cuaderno de Cocina", "cuaderno-de-cocina.example", "Recetas de temporada"),
    ),
    authors=("Lucía Moreno", "Andrés Castillo", "Marta Ibáñez", "Diego Serrano", "Paula Domínguez"),
    chrome={
        "home": "Inicio", "skip": "Ir al contenido", "search": "Buscar",
        "nav": ("Noticias", "Local", "Cocina", "Cultura", "Deportes", "Opinión"),
        "cookie": "Utilizamos cookies para mejorar su experiencia. Si continúa navegando, acepta su uso.",
        "accept": "Aceptar todas", "settings": "Configuración",
        "newsletter": "Reciba las mejores historias cada viernes en su correo.", "subscribe": "Suscribirse",
        "most_read": "Lo más leído", "related": "Le puede interesar", "share": "Compartir artículo", "by": "Por",
        "rights": "Todos los derechos reservados.", "privacy": "Privacidad", "terms": "Condiciones de uso",
        "contact": "Contacto", "about": "Aviso legal", "syndication": "Este artículo se publicó primero en {site}.",
    },
    pii_frames=(
        "Para más información, escriba a {email} o llame al {phone}.",
        "Las inscripciones se reciben en {email}.",
    ),
)
